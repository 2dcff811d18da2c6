-- The duplicate rule "same citizen and service" (intake.identify) looks for the earliest
-- open case of this citizen, service and office in the window. With only (citizen_id,
-- service) to go by, the planner's generic plan (what a pooled connection runs after five
-- calls) walked the office's index by date instead and read every case of the office in
-- the window for a citizen who had none: a registration's cost grew with the office.
-- This index answers the lookup by itself, however many cases the office has.
CREATE INDEX registrations_citizen_service_idx
    ON intake.registrations (citizen_id, service, office, received_at DESC);
-- The old index is this one's prefix: nothing needs it any more.
DROP INDEX intake.registrations_citizen_idx;
