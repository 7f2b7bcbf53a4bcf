-- Demo directory for `licensingd load-demo`: three security groups and six users on the demo
-- domain; fixed ids so that loading twice changes nothing. Nestor has no usage location (he
-- inherits the organization's), Lee is in IN where Audio Conferencing is unavailable.
INSERT INTO groups (id, display_name, description, mail_nickname, mail_enabled, security_enabled)
VALUES
 ('0a1d0000-0000-4000-8000-000000000001', 'Marketing', 'Marketing department', 'marketing', false, true),
 ('0a1d0000-0000-4000-8000-000000000002', 'Sales', 'Sales department', 'sales', false, true),
 ('0a1d0000-0000-4000-8000-000000000003', 'All users', 'Everyone in Contoso', 'allusers', false, true)
ON CONFLICT DO NOTHING;

INSERT INTO users (id, user_principal_name, display_name, mail_nickname, account_enabled,
                   given_name, surname, job_title, department, usage_location)
VALUES
 ('0a1d0000-0000-4000-8000-000000000101', 'adele.vance@contoso.onmicrosoft.com', 'Adele Vance', 'adele.vance', true, 'Adele', 'Vance', 'Marketing Manager', 'Marketing', 'US'),
 ('0a1d0000-0000-4000-8000-000000000102', 'alex.wilber@contoso.onmicrosoft.com', 'Alex Wilber', 'alex.wilber', true, 'Alex', 'Wilber', 'Marketing Assistant', 'Marketing', 'US'),
 ('0a1d0000-0000-4000-8000-000000000103', 'megan.bowen@contoso.onmicrosoft.com', 'Megan Bowen', 'megan.bowen', true, 'Megan', 'Bowen', 'Sales Manager', 'Sales', 'GB'),
 ('0a1d0000-0000-4000-8000-000000000104', 'lee.gu@contoso.onmicrosoft.com', 'Lee Gu', 'lee.gu', true, 'Lee', 'Gu', 'Sales Representative', 'Sales', 'IN'),
 ('0a1d0000-0000-4000-8000-000000000105', 'nestor.wilke@contoso.onmicrosoft.com', 'Nestor Wilke', 'nestor.wilke', true, 'Nestor', 'Wilke', 'Director', 'Operations', NULL),
 ('0a1d0000-0000-4000-8000-000000000106', 'diego.siciliani@contoso.onmicrosoft.com', 'Diego Siciliani', 'diego.siciliani', true, 'Diego', 'Siciliani', 'HR Manager', 'HR', 'DE')
ON CONFLICT DO NOTHING;

INSERT INTO group_members (group_id, member_id, member_type)
SELECT g::uuid, u::uuid, 'user' FROM (VALUES
 ('0a1d0000-0000-4000-8000-000000000001', '0a1d0000-0000-4000-8000-000000000101'),
 ('0a1d0000-0000-4000-8000-000000000001', '0a1d0000-0000-4000-8000-000000000102'),
 ('0a1d0000-0000-4000-8000-000000000002', '0a1d0000-0000-4000-8000-000000000103'),
 ('0a1d0000-0000-4000-8000-000000000002', '0a1d0000-0000-4000-8000-000000000104'),
 ('0a1d0000-0000-4000-8000-000000000003', '0a1d0000-0000-4000-8000-000000000101'),
 ('0a1d0000-0000-4000-8000-000000000003', '0a1d0000-0000-4000-8000-000000000102'),
 ('0a1d0000-0000-4000-8000-000000000003', '0a1d0000-0000-4000-8000-000000000103'),
 ('0a1d0000-0000-4000-8000-000000000003', '0a1d0000-0000-4000-8000-000000000104'),
 ('0a1d0000-0000-4000-8000-000000000003', '0a1d0000-0000-4000-8000-000000000105'),
 ('0a1d0000-0000-4000-8000-000000000003', '0a1d0000-0000-4000-8000-000000000106')
) AS m (g, u)
WHERE EXISTS (SELECT 1 FROM users WHERE id = u::uuid)
ON CONFLICT DO NOTHING;
