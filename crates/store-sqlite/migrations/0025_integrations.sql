-- Customer backends and telephony (issue 13, SPEC §6 and §7.4).
-- A brand's web-call settings (JSON; the int_pass inside is shown masked everywhere but here).
ALTER TABLE brands ADD COLUMN webcall TEXT;
-- The telephony call a ticket was opened from.
ALTER TABLE tickets ADD COLUMN callid TEXT;
-- A caller's number (`ani`) is matched on the last digits of stored numbers: the digits reversed, so the
-- match is a range of the index whatever the country code or punctuation in front.
ALTER TABLE customers ADD COLUMN phone_key TEXT;
ALTER TABLE end_users ADD COLUMN phone_key TEXT;
UPDATE customers SET phone_key = ferrodesk_phone_key(phone) WHERE phone IS NOT NULL;
UPDATE end_users SET phone_key = ferrodesk_phone_key(phone) WHERE phone IS NOT NULL;
CREATE INDEX customers_phone_key ON customers (phone_key) WHERE phone_key IS NOT NULL;
CREATE INDEX end_users_phone_key ON end_users (phone_key) WHERE phone_key IS NOT NULL;
-- Calls of the telephony screen pop: who called which brand, what the lookup found, the agent who took it
-- and the ticket opened from it.
CREATE TABLE calls (
    id INTEGER PRIMARY KEY,
    callid TEXT NOT NULL,
    ani TEXT NOT NULL,
    brand_id INTEGER NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    customer_id INTEGER REFERENCES customers (id) ON DELETE SET NULL,
    end_user_id INTEGER REFERENCES end_users (id) ON DELETE SET NULL,
    account_key TEXT,
    ticket_id INTEGER REFERENCES tickets (id) ON DELETE SET NULL,
    staff_id INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    lookup_error TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX calls_callid ON calls (brand_id, callid);
CREATE INDEX calls_ticket ON calls (ticket_id) WHERE ticket_id IS NOT NULL;
