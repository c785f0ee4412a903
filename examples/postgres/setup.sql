-- A small shop owned by a realistic admin: CREATEROLE and owner of the tables, NOT superuser
-- (like the master user of a managed database). Run as a superuser:
--   psql -h 127.0.0.1 -U postgres -f setup.sql
-- Undo with teardown.sql.
CREATE ROLE demo_owner LOGIN CREATEROLE PASSWORD 'demo-owner-password';
CREATE DATABASE agentauth_demo OWNER demo_owner;
\connect agentauth_demo demo_owner
CREATE TABLE public.products (id serial PRIMARY KEY, name text NOT NULL, price_cents int NOT NULL);
CREATE TABLE public.orders (id serial PRIMARY KEY, customer text NOT NULL, total_cents int NOT NULL,
                            created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.customers (id serial PRIMARY KEY, email text NOT NULL, card_last4 text);
CREATE SCHEMA billing;
CREATE TABLE billing.invoices (id serial PRIMARY KEY, order_id int NOT NULL, amount_cents int NOT NULL);
INSERT INTO public.products (name, price_cents) VALUES ('mug', 1200), ('tee', 2500), ('cap', 1800);
INSERT INTO public.orders (customer, total_cents) VALUES ('ada', 3700), ('bob', 1200);
INSERT INTO public.customers (email, card_last4) VALUES ('ada@example.com', '4242'),
                                                        ('bob@example.com', '1881');
INSERT INTO billing.invoices (order_id, amount_cents) VALUES (1, 3700), (2, 1200);
