-- Remove the demo: run `agentauth revoke --all --yes` first, then as a superuser:
--   psql -h 127.0.0.1 -U postgres -f teardown.sql
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'agentauth_demo';
DROP DATABASE IF EXISTS agentauth_demo;
DROP ROLE IF EXISTS demo_owner;
