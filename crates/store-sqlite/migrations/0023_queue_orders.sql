-- The queue's orders other than newest first (latest activity, waiting longest, priority) under each of its
-- equality filters, and the portal's list by latest activity: the page is read in index order and stops at
-- its rows instead of sorting every ticket the filter matches. SQLite keeps no statistics that would make it
-- prefer the order's index when a filter matches a large share of the tickets; PostgreSQL's planner does
-- (it walks tickets_lastreply and filters), so these exist on SQLite only. Measured at 1,000,000 tickets:
-- 100-630 ms before, 0.1-1.2 ms after (issue 12: every page p95 <= 15 ms).
CREATE INDEX tickets_status_lastreply ON tickets (status, lastreply, id);
CREATE INDEX tickets_department_lastreply ON tickets (did, lastreply, id);
CREATE INDEX tickets_assigned_lastreply ON tickets (assigned, lastreply, id);
CREATE INDEX tickets_priority_lastreply ON tickets (priority, lastreply, id);
CREATE INDEX tickets_customer_lastreply ON tickets (customer_id, lastreply, id);
CREATE INDEX tickets_status_priority ON tickets (status, priority, id);
CREATE INDEX tickets_department_priority ON tickets (did, priority, id);
CREATE INDEX tickets_assigned_priority ON tickets (assigned, priority, id);
