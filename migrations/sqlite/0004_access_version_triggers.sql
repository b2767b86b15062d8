-- SQLite: bump organisations.access_version (see ../0003_access_version.sql)
-- on every row change of the access decision's inputs. SQLite has only
-- row-level triggers; a bulk change bumps once per row, in its transaction.

CREATE TRIGGER user_groups_access_insert AFTER INSERT ON user_groups BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER user_groups_access_update AFTER UPDATE ON user_groups BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER user_groups_access_delete AFTER DELETE ON user_groups BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER group_user_members_access_insert AFTER INSERT ON group_user_members BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER group_user_members_access_update AFTER UPDATE ON group_user_members BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER group_user_members_access_delete AFTER DELETE ON group_user_members BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER group_group_members_access_insert AFTER INSERT ON group_group_members BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER group_group_members_access_update AFTER UPDATE ON group_group_members BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER group_group_members_access_delete AFTER DELETE ON group_group_members BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER licenses_access_insert AFTER INSERT ON licenses BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER licenses_access_update AFTER UPDATE ON licenses BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER licenses_access_delete AFTER DELETE ON licenses BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER license_assignments_access_insert AFTER INSERT ON license_assignments BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER license_assignments_access_update AFTER UPDATE ON license_assignments BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER license_assignments_access_delete AFTER DELETE ON license_assignments BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER license_seats_access_insert AFTER INSERT ON license_seats BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER license_seats_access_update AFTER UPDATE ON license_seats BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER license_seats_access_delete AFTER DELETE ON license_seats BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER applications_access_insert AFTER INSERT ON applications BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER applications_access_update AFTER UPDATE ON applications BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER applications_access_delete AFTER DELETE ON applications BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER apis_access_insert AFTER INSERT ON apis BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER apis_access_update AFTER UPDATE ON apis BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER apis_access_delete AFTER DELETE ON apis BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER permissions_access_insert AFTER INSERT ON permissions BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER permissions_access_update AFTER UPDATE ON permissions BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER permissions_access_delete AFTER DELETE ON permissions BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER application_permissions_access_insert AFTER INSERT ON application_permissions BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER application_permissions_access_update AFTER UPDATE ON application_permissions BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER application_permissions_access_delete AFTER DELETE ON application_permissions BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER app_assignments_access_insert AFTER INSERT ON app_assignments BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER app_assignments_access_update AFTER UPDATE ON app_assignments BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER app_assignments_access_delete AFTER DELETE ON app_assignments BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER consent_grants_access_insert AFTER INSERT ON consent_grants BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER consent_grants_access_update AFTER UPDATE ON consent_grants BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER consent_grants_access_delete AFTER DELETE ON consent_grants BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER consent_grant_permissions_access_insert AFTER INSERT ON consent_grant_permissions BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER consent_grant_permissions_access_update AFTER UPDATE ON consent_grant_permissions BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER consent_grant_permissions_access_delete AFTER DELETE ON consent_grant_permissions BEGIN
    UPDATE organisations SET access_version = access_version + 1 WHERE id = OLD.org_id;
END;
