-- A user or group is a reviewer of the admin-consent workflow at most once.
CREATE UNIQUE INDEX consent_reviewers_user_key ON consent_reviewers (org_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX consent_reviewers_group_key ON consent_reviewers (org_id, group_id) WHERE group_id IS NOT NULL;
