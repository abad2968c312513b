-- Flyway versioned migrations (db/migration/V*__*.sql), in version order.

-- V1__init.sql
CREATE TABLE IF NOT EXISTS account (
    account_id   BIGSERIAL PRIMARY KEY,
    username     VARCHAR(64)  NOT NULL UNIQUE,
    email        VARCHAR(255) NOT NULL,
    status       VARCHAR(16)  NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'LOCKED', 'CLOSED')),
    created_on   TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE UNIQUE INDEX idx_account_email ON account (LOWER(email));

CREATE TABLE account_role (
    account_id BIGINT      NOT NULL REFERENCES account (account_id) ON DELETE CASCADE,
    role_name  VARCHAR(32) NOT NULL,
    granted_on TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (account_id, role_name)
);

INSERT INTO account (username, email) VALUES ('admin', 'admin@example.com');
INSERT INTO account_role (account_id, role_name) SELECT account_id, 'ADMIN' FROM account WHERE username = 'admin';

-- V2__orders.sql
CREATE SEQUENCE order_number_seq START WITH 100000 INCREMENT BY 1;

CREATE TABLE purchase_order (
    id           SERIAL PRIMARY KEY,
    order_number BIGINT      NOT NULL DEFAULT nextval('order_number_seq'),
    account_id   BIGINT      NOT NULL,
    amount       NUMERIC(10, 2) NOT NULL CHECK (amount >= 0),
    currency     CHAR(3)     NOT NULL DEFAULT 'EUR',
    placed_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT fk_order_account FOREIGN KEY (account_id) REFERENCES account (account_id)
);

ALTER SEQUENCE order_number_seq OWNED BY purchase_order.order_number;

CREATE INDEX idx_order_account_placed ON purchase_order (account_id, placed_at DESC);

CREATE TABLE order_line (
    order_id   INTEGER NOT NULL REFERENCES purchase_order,
    line       SMALLINT NOT NULL,
    sku        VARCHAR(40) NOT NULL,
    qty        INTEGER NOT NULL CHECK (qty > 0),
    price      NUMERIC(10, 2) NOT NULL,
    PRIMARY KEY (order_id, line),
    CHECK (price >= 0),
    CHECK (qty < 10000 AND price < 100000)
);

-- V3__audit_trigger.sql
CREATE TABLE audit_log (
    id         BIGSERIAL PRIMARY KEY,
    table_name TEXT        NOT NULL,
    op         CHAR(1)     NOT NULL,
    row_data   JSONB,
    changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION audit_row() RETURNS TRIGGER AS $$
BEGIN
    IF (TG_OP = 'DELETE') THEN
        INSERT INTO audit_log (table_name, op, row_data) VALUES (TG_TABLE_NAME, 'D', to_jsonb(OLD));
        RETURN OLD;
    ELSIF (TG_OP = 'UPDATE') THEN
        INSERT INTO audit_log (table_name, op, row_data) VALUES (TG_TABLE_NAME, 'U', to_jsonb(NEW));
        RETURN NEW;
    ELSE
        INSERT INTO audit_log (table_name, op, row_data) VALUES (TG_TABLE_NAME, 'I', to_jsonb(NEW));
        RETURN NEW;
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER trg_account_audit
    AFTER INSERT OR UPDATE OR DELETE ON account
    FOR EACH ROW EXECUTE PROCEDURE audit_row();

CREATE TRIGGER trg_order_audit
    AFTER INSERT OR UPDATE OF amount, currency OR DELETE ON purchase_order
    FOR EACH ROW EXECUTE PROCEDURE audit_row();

-- V4__account_profile.sql
ALTER TABLE account ADD COLUMN display_name VARCHAR(128);
ALTER TABLE account ADD COLUMN locale VARCHAR(10) DEFAULT 'en_US' NOT NULL;
UPDATE account SET display_name = username WHERE display_name IS NULL;
ALTER TABLE account ALTER COLUMN display_name SET NOT NULL;

-- V5__reporting_views.sql
CREATE OR REPLACE VIEW v_account_orders AS
SELECT a.account_id, a.username, count(o.id) AS order_count, coalesce(sum(o.amount), 0) AS total
FROM account a
LEFT JOIN purchase_order o ON o.account_id = a.account_id
GROUP BY a.account_id, a.username;

CREATE VIEW v_big_orders AS SELECT * FROM purchase_order WHERE amount > 1000;

CREATE MATERIALIZED VIEW mv_daily_revenue AS
SELECT date_trunc('day', placed_at) AS day, currency, sum(amount) AS revenue
FROM purchase_order
GROUP BY 1, 2;

CREATE UNIQUE INDEX ON mv_daily_revenue (day, currency);

-- V6__rename_order.sql
ALTER TABLE purchase_order RENAME TO customer_order;
ALTER TABLE customer_order RENAME CONSTRAINT fk_order_account TO fk_customer_order_account;
ALTER INDEX idx_order_account_placed RENAME TO idx_customer_order_account_placed;
ALTER TABLE customer_order RENAME CONSTRAINT purchase_order_pkey TO customer_order_pkey;

-- V7__status_lookup.sql
CREATE TABLE account_status (
    code VARCHAR(16) PRIMARY KEY,
    label TEXT NOT NULL
);
INSERT INTO account_status (code, label) VALUES ('ACTIVE', 'Active'), ('LOCKED', 'Locked'), ('CLOSED', 'Closed');
ALTER TABLE account DROP CONSTRAINT account_status_check;
ALTER TABLE account ADD CONSTRAINT fk_account_status FOREIGN KEY (status) REFERENCES account_status (code);

-- V8__cleanup.sql
DROP MATERIALIZED VIEW mv_daily_revenue;
DROP VIEW v_big_orders;
ALTER TABLE order_line DROP CONSTRAINT order_line_check;
ALTER TABLE account DROP COLUMN locale;
DROP TRIGGER trg_order_audit ON customer_order;
