-- The admin dashboard's counts, each read on an index instead of a scan of its table: tickets opened per
-- day (ctime), changes that solved a ticket (a partial index of the event log: the status became
-- `solved`; the dashboard's query repeats this predicate word for word so the planner can use it), and
-- the paying subscriptions per plan and quantity (MRR).
CREATE INDEX tickets_ctime ON tickets (ctime);
CREATE INDEX events_ticket_solved ON events (entity, timestamp)
    WHERE entity = 'ticket' AND action = 'updated'
    AND value LIKE '%"status":"solved"%' AND old NOT LIKE '%"status":"solved"%';
CREATE INDEX subscriptions_paying ON subscriptions (status, plan_id, quantity);
