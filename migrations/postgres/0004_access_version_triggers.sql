-- PostgreSQL: bump organisations.access_version (see ../0003_access_version.sql)
-- on every change of the access decision's inputs: once per statement and
-- organisation (transition tables), so a bulk change costs one update.

CREATE FUNCTION bump_access_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE organisations SET access_version = access_version + 1 WHERE id IN (SELECT org_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE organisations SET access_version = access_version + 1 WHERE id IN (SELECT org_id FROM old_rows);
    ELSE
        UPDATE organisations SET access_version = access_version + 1
        WHERE id IN (SELECT org_id FROM new_rows UNION SELECT org_id FROM old_rows);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER user_groups_access_insert AFTER INSERT ON user_groups REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER user_groups_access_update AFTER UPDATE ON user_groups REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER user_groups_access_delete AFTER DELETE ON user_groups REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE TRIGGER group_user_members_access_insert AFTER INSERT ON group_user_members REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER group_user_members_access_update AFTER UPDATE ON group_user_members REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER group_user_members_access_delete AFTER DELETE ON group_user_members REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE TRIGGER group_group_members_access_insert AFTER INSERT ON group_group_members REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER group_group_members_access_update AFTER UPDATE ON group_group_members REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER group_group_members_access_delete AFTER DELETE ON group_group_members REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE TRIGGER licenses_access_insert AFTER INSERT ON licenses REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER licenses_access_update AFTER UPDATE ON licenses REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER licenses_access_delete AFTER DELETE ON licenses REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE TRIGGER license_assignments_access_insert AFTER INSERT ON license_assignments REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER license_assignments_access_update AFTER UPDATE ON license_assignments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER license_assignments_access_delete AFTER DELETE ON license_assignments REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE TRIGGER license_seats_access_insert AFTER INSERT ON license_seats REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER license_seats_access_update AFTER UPDATE ON license_seats REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER license_seats_access_delete AFTER DELETE ON license_seats REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE TRIGGER applications_access_insert AFTER INSERT ON applications REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER applications_access_update AFTER UPDATE ON applications REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER applications_access_delete AFTER DELETE ON applications REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE TRIGGER apis_access_insert AFTER INSERT ON apis REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER apis_access_update AFTER UPDATE ON apis REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER apis_access_delete AFTER DELETE ON apis REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE TRIGGER permissions_access_insert AFTER INSERT ON permissions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER permissions_access_update AFTER UPDATE ON permissions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER permissions_access_delete AFTER DELETE ON permissions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE TRIGGER application_permissions_access_insert AFTER INSERT ON application_permissions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER application_permissions_access_update AFTER UPDATE ON application_permissions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER application_permissions_access_delete AFTER DELETE ON application_permissions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE TRIGGER app_assignments_access_insert AFTER INSERT ON app_assignments REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER app_assignments_access_update AFTER UPDATE ON app_assignments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER app_assignments_access_delete AFTER DELETE ON app_assignments REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE TRIGGER consent_grants_access_insert AFTER INSERT ON consent_grants REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER consent_grants_access_update AFTER UPDATE ON consent_grants REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER consent_grants_access_delete AFTER DELETE ON consent_grants REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();

CREATE TRIGGER consent_grant_permissions_access_insert AFTER INSERT ON consent_grant_permissions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER consent_grant_permissions_access_update AFTER UPDATE ON consent_grant_permissions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER consent_grant_permissions_access_delete AFTER DELETE ON consent_grant_permissions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version();
