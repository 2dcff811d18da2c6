-- The analysts' views: plain views over eventstore.events, right as soon as an event is
-- committed (no refresh). Every view reads the setting analytics.as_of (analytics.as_of())
-- and passes only the events that occurred by then, so one definition serves both "now"
-- and "as of" (the *_as_of functions, 003). No view shows a name, NIK, phone, address,
-- e-mail, free text or file: only codes, times, counts and pseudonymous keys.

-- Registrations by office and time: the per-case view and the monthly report start here.
CREATE INDEX IF NOT EXISTS events_registered_idx ON eventstore.events (office, occurred_at)
    WHERE event_type = 'ComplaintRegistered';

-- The case stage a lifecycle fact moves the case to (casework's fold, simplified: null for
-- facts that are not a move).
CREATE FUNCTION analytics.stage_of(event_type text, data jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE event_type
        WHEN 'ComplaintRegistered' THEN 'registered'
        WHEN 'CaseFileOpened' THEN 'front_office'
        WHEN 'ClientIdentityRecorded' THEN 'front_office'
        WHEN 'CaseTransferred' THEN 'back_office'
        WHEN 'CaseAssigned' THEN 'assigned'
        WHEN 'CaseDelegated' THEN 'assigned'
        WHEN 'CaseWorkStarted' THEN 'in_progress'
        WHEN 'AssessmentRecorded' THEN 'in_progress'
        WHEN 'LetterDrafted' THEN 'in_progress'
        WHEN 'CasePaused' THEN 'waiting_for_' || coalesce(data->>'waiting_for', 'citizen')
        WHEN 'CaseResumed' THEN 'in_progress'
        WHEN 'CaseAnswered' THEN 'answered'
        WHEN 'CaseResolved' THEN 'resolved'
        WHEN 'CaseClosed' THEN 'closed'
        WHEN 'CaseReopened' THEN 'in_progress'
        WHEN 'CaseForwarded' THEN 'forwarded'
        WHEN 'CaseMerged' THEN 'merged'
    END
$$;
COMMENT ON FUNCTION analytics.stage_of(text, jsonb) IS
    'The case stage a lifecycle event moves the case to; null if it is no move.';

-- ---- one row per event ------------------------------------------------------------------

CREATE VIEW analytics.events WITH (security_barrier) AS
SELECT e.event_id,
       e.global_position,
       e.event_type,
       e.occurred_at,
       e.recorded_at,
       e.office,
       e.channel,
       reg.service,
       e.case_id,
       split_part(e.actor, ':', 1) AS actor_kind,
       CASE
           WHEN e.event_type IN ('LetterReviewed', 'LetterReturned', 'LetterSigned')
               THEN e.data->>'role'
           WHEN e.event_type = 'CaseDelegated' THEN e.data->>'from_role'
           WHEN e.event_type = 'LetterDraftingAssigned' THEN e.data->>'role'
       END AS actor_role,
       CASE WHEN e.actor LIKE 'system:%' THEN split_part(e.actor, ':', 2) END AS actor_service,
       e.owner AS stream_owner
FROM eventstore.events e
LEFT JOIN (SELECT r.case_id, r.data->>'service' AS service
           FROM eventstore.events r
           WHERE r.event_type = 'ComplaintRegistered') reg ON reg.case_id = e.case_id
WHERE e.occurred_at <= analytics.as_of();

COMMENT ON VIEW analytics.events IS
    'One row per event in the store: what, when, where, which case; who only as a kind and role.';
COMMENT ON COLUMN analytics.events.event_id IS 'The event''s unique id.';
COMMENT ON COLUMN analytics.events.global_position IS 'Its position in the store (commit order within a writer).';
COMMENT ON COLUMN analytics.events.event_type IS 'The fact, e.g. ComplaintRegistered, LetterSigned (docs/asyncapi.json).';
COMMENT ON COLUMN analytics.events.occurred_at IS 'When it happened (the event time; as-of filters on this).';
COMMENT ON COLUMN analytics.events.recorded_at IS 'When the store wrote it.';
COMMENT ON COLUMN analytics.events.office IS 'Catalogue id of the office (kupang, lumajang, mataram, pariaman).';
COMMENT ON COLUMN analytics.events.channel IS 'The channel the case''s request came by (walk_in, whatsapp, ...).';
COMMENT ON COLUMN analytics.events.service IS 'The service of the case (catalogue id), null for events without a case.';
COMMENT ON COLUMN analytics.events.case_id IS 'The case (uuid), null for events of no case (guest book, inbound messages).';
COMMENT ON COLUMN analytics.events.actor_kind IS 'staff, citizen or system: never the person.';
COMMENT ON COLUMN analytics.events.actor_role IS 'The role the staff member acted in, where the event states it.';
COMMENT ON COLUMN analytics.events.actor_service IS 'The service that acted, for system facts (casework, eligibility, ...).';
COMMENT ON COLUMN analytics.events.stream_owner IS 'The service that owns the stream.';

-- ---- one row per case ---------------------------------------------------------------------

-- Not a security_barrier view, unlike the others: a filter on opened_at (not leakproof: a
-- jsonb field cast) must reach the scan of the registrations, or the monthly aggregate
-- would fold every case of the office. Safe: each column is computed from codes and times
-- only, and analysts cannot create functions (no CREATE on any schema) to leak rows with.
CREATE VIEW analytics.cases AS
SELECT r.case_id,
       r.office,
       r.data->>'service' AS service,
       r.data->>'variant' AS variant,
       r.data->>'channel' AS channel,
       coalesce((r.data->>'received_at')::timestamptz, r.occurred_at) AS opened_at,
       f.closed_at,
       f.outcome,
       f.stage,
       d.due_at,
       f.breached,
       CASE
           WHEN f.breached THEN false
           WHEN f.closed_at IS NOT NULL THEN f.closed_at <= d.due_at
           WHEN d.due_at < least(now(), analytics.as_of()) THEN false
       END AS sla_met,
       f.closed_at IS NULL AND d.due_at < least(now(), analytics.as_of()) AS overdue,
       analytics.working_days_between(
           coalesce((r.data->>'received_at')::timestamptz, r.occurred_at), f.closed_at,
           coalesce(o.utc_offset, interval '7 hours'))
           AS working_days_to_close,
       f.paused,
       f.letter_returns,
       f.referred_to,
       f.forwarded_to,
       f.reopened,
       f.surveyed,
       coalesce((r.data->>'anonymous')::boolean, false) AS anonymous,
       coalesce((r.data->>'confidential')::boolean, false) AS confidential,
       CASE WHEN NOT coalesce((r.data->>'anonymous')::boolean, false) THEN
           encode(sha256(p.k_opad || sha256(p.k_ipad || convert_to(coalesce(
               'nik:' || (r.data->'applicant'->>'nik'),
               'citizen:' || (r.data->>'citizen_id')), 'UTF8'))), 'hex')
       END AS requester_key
FROM eventstore.events r
LEFT JOIN analytics.offices o ON o.office = r.office
LEFT JOIN analytics_private.pepper p ON true
CROSS JOIN LATERAL (
    SELECT min(x.occurred_at) FILTER (WHERE x.stop AND x.current) AS closed_at,
           coalesce(
               (array_agg(x.data->>'outcome' ORDER BY x.global_position)
                   FILTER (WHERE x.event_type = 'CaseResolved' AND x.current))[1],
               (array_agg(x.stop_as ORDER BY x.global_position)
                   FILTER (WHERE x.stop AND x.current))[1]) AS outcome,
           (array_agg(x.stage ORDER BY x.global_position DESC)
               FILTER (WHERE x.stage IS NOT NULL))[1] AS stage,
           coalesce(bool_or(x.event_type = 'DeadlineBreached' AND x.data->>'step' IS NULL
                            AND x.current), false) AS breached,
           (array_agg((x.data->>'due_at')::timestamptz ORDER BY x.global_position DESC)
               FILTER (WHERE x.event_type IN ('DeadlineWarned', 'DeadlineBreached')
                         AND x.data->>'step' IS NULL AND x.current))[1] AS due_recorded,
           coalesce(max(x.reopened_at), (r.data->>'received_at')::timestamptz, r.occurred_at)
               AS clock_started_at,
           make_interval(secs => coalesce(
               sum(CASE x.event_type
                       WHEN 'CaseResumed' THEN extract(epoch FROM x.occurred_at)
                       WHEN 'CasePaused' THEN -extract(epoch FROM x.occurred_at)
                   END), 0)
               + CASE WHEN count(*) FILTER (WHERE x.event_type = 'CasePaused')
                           > count(*) FILTER (WHERE x.event_type = 'CaseResumed')
                      THEN extract(epoch FROM least(now(), analytics.as_of())) ELSE 0 END)
               AS paused,
           count(*) FILTER (WHERE x.event_type = 'LetterReturned')::integer AS letter_returns,
           string_agg(DISTINCT x.data->>'agency', ',')
               FILTER (WHERE x.event_type = 'ReferralMade') AS referred_to,
           (array_agg(x.data->>'forwarded_to' ORDER BY x.global_position DESC)
               FILTER (WHERE x.event_type = 'CaseForwarded'))[1] AS forwarded_to,
           count(*) FILTER (WHERE x.event_type = 'CaseReopened')::integer AS reopened,
           coalesce(bool_or(x.event_type = 'SurveyAnswered'), false) AS surveyed
    FROM (
        SELECT e.global_position, e.event_type, e.occurred_at, e.data,
               analytics.stage_of(e.event_type, e.data) AS stage,
               e.event_type IN ('CaseAnswered', 'CaseResolved', 'CaseClosed', 'CaseForwarded',
                                'CaseMerged') AS stop,
               CASE e.event_type
                   WHEN 'CaseAnswered' THEN 'answered' WHEN 'CaseClosed' THEN 'closed'
                   WHEN 'CaseForwarded' THEN 'forwarded' WHEN 'CaseMerged' THEN 'merged'
               END AS stop_as,
               w.reopened_at,
               w.reopened_at IS NULL OR e.occurred_at >= w.reopened_at AS current
        FROM eventstore.events e
        LEFT JOIN LATERAL (
            SELECT max(z.occurred_at) AS reopened_at FROM eventstore.events z
            WHERE z.case_id = r.case_id AND z.event_type = 'CaseReopened'
              AND z.occurred_at <= analytics.as_of()) w ON true
        WHERE e.case_id = r.case_id AND e.occurred_at <= analytics.as_of()
    ) x
) f
LEFT JOIN LATERAL (
    SELECT s.time_value, s.time_unit FROM analytics.service_standards s
    WHERE s.office = r.office AND s.service = r.data->>'service'
      AND s.channel IN (r.data->>'channel', '*')
    ORDER BY s.channel = '*'
    LIMIT 1) s ON true
CROSS JOIN LATERAL (
    SELECT coalesce(f.due_recorded,
                    analytics.due_after(f.clock_started_at, s.time_value, s.time_unit,
                                        coalesce(o.utc_offset, interval '7 hours'))
                        + f.paused) AS due_at
) d
WHERE r.event_type = 'ComplaintRegistered' AND r.occurred_at <= analytics.as_of();

COMMENT ON VIEW analytics.cases IS
    'One row per case: where, what, how it came, when opened and closed, due, on time or not.';
COMMENT ON COLUMN analytics.cases.case_id IS 'The case (uuid).';
COMMENT ON COLUMN analytics.cases.office IS 'Catalogue id of the office.';
COMMENT ON COLUMN analytics.cases.service IS 'Catalogue id of the service (e.g. kks-recommendation).';
COMMENT ON COLUMN analytics.cases.variant IS 'The service''s variant, if any (e.g. reset-pin).';
COMMENT ON COLUMN analytics.cases.channel IS 'The channel the request came by.';
COMMENT ON COLUMN analytics.cases.opened_at IS 'When the channel received the request (the clock starts).';
COMMENT ON COLUMN analytics.cases.closed_at IS 'When the clock stopped (answered, resolved, closed, forwarded or merged); after a reopening, the stop after it. Null: still open.';
COMMENT ON COLUMN analytics.cases.outcome IS 'letter_issued, referred, answered, closed, forwarded, merged, ... (null while open).';
COMMENT ON COLUMN analytics.cases.stage IS 'The case''s stage now (as of): registered, front_office, assigned, in_progress, waiting_for_citizen, resolved, ...';
COMMENT ON COLUMN analytics.cases.due_at IS 'When the published completion time runs out: casework''s own due time when it recorded one (warning, breach), else computed from the catalogue in working days plus the time paused.';
COMMENT ON COLUMN analytics.cases.breached IS 'Casework recorded a breach of the case''s deadline (DeadlineBreached).';
COMMENT ON COLUMN analytics.cases.sla_met IS 'true: closed by its due time; false: breached, closed late, or open past due; null: open and not yet due.';
COMMENT ON COLUMN analytics.cases.overdue IS 'Open and past its due time.';
COMMENT ON COLUMN analytics.cases.working_days_to_close IS 'Working days from the day after opening to the day of closing (0: closed the same day).';
COMMENT ON COLUMN analytics.cases.paused IS 'Time the clock stood (waiting for the citizen or an agency), open pauses counted to now.';
COMMENT ON COLUMN analytics.cases.letter_returns IS 'How many times a letter was returned in the approval chain.';
COMMENT ON COLUMN analytics.cases.referred_to IS 'Agencies the case was referred to, comma-separated.';
COMMENT ON COLUMN analytics.cases.forwarded_to IS 'The institution the case was forwarded to, if it was.';
COMMENT ON COLUMN analytics.cases.reopened IS 'How many times the case was reopened.';
COMMENT ON COLUMN analytics.cases.surveyed IS 'The citizen answered the IKM survey about it.';
COMMENT ON COLUMN analytics.cases.anonymous IS 'An anonymous report (no requester_key).';
COMMENT ON COLUMN analytics.cases.confidential IS 'A confidential report.';
COMMENT ON COLUMN analytics.cases.requester_key IS 'Pseudonymous stable key of the requester (HMAC-SHA256 of the NIK, or of intake''s citizen id, with the secret SLRT_ANALYTICS_PEPPER): counts repeat requesters, identifies no one.';

-- ---- state transitions ------------------------------------------------------------------

CREATE VIEW analytics.transitions WITH (security_barrier) AS
SELECT t.event_id, t.case_id, t.office, t.service, t.event_type, t.at,
       lag(t.stage) OVER w AS from_stage,
       t.stage AS to_stage,
       t.at - lag(t.at) OVER w AS time_in_from_stage
FROM (
    SELECT e.event_id, e.case_id, e.office, reg.service, e.event_type, e.global_position,
           e.occurred_at AS at, analytics.stage_of(e.event_type, e.data) AS stage
    FROM eventstore.events e
    LEFT JOIN (SELECT r.case_id, r.data->>'service' AS service
               FROM eventstore.events r
               WHERE r.event_type = 'ComplaintRegistered') reg ON reg.case_id = e.case_id
    WHERE e.case_id IS NOT NULL AND e.occurred_at <= analytics.as_of()
      AND e.event_type IN ('ComplaintRegistered', 'CaseFileOpened', 'ClientIdentityRecorded',
          'CaseTransferred', 'CaseAssigned', 'CaseDelegated', 'CaseWorkStarted',
          'AssessmentRecorded', 'LetterDrafted', 'CasePaused', 'CaseResumed', 'CaseAnswered',
          'CaseResolved', 'CaseClosed', 'CaseReopened', 'CaseForwarded', 'CaseMerged')
) t
WINDOW w AS (PARTITION BY t.case_id ORDER BY t.global_position);

COMMENT ON VIEW analytics.transitions IS
    'One row per lifecycle fact of a case: the stage it left, the stage it entered, and how long it stayed.';
COMMENT ON COLUMN analytics.transitions.event_id IS 'The fact that moved the case.';
COMMENT ON COLUMN analytics.transitions.case_id IS 'The case.';
COMMENT ON COLUMN analytics.transitions.office IS 'Catalogue id of the office.';
COMMENT ON COLUMN analytics.transitions.service IS 'Catalogue id of the case''s service.';
COMMENT ON COLUMN analytics.transitions.event_type IS 'The fact (CaseAssigned, CasePaused, ...).';
COMMENT ON COLUMN analytics.transitions.at IS 'When it happened.';
COMMENT ON COLUMN analytics.transitions.from_stage IS 'The stage before (null for the registration).';
COMMENT ON COLUMN analytics.transitions.to_stage IS 'The stage after.';
COMMENT ON COLUMN analytics.transitions.time_in_from_stage IS 'How long the case stood in from_stage.';

-- ---- SLA outcome per step of the letter chain --------------------------------------------

CREATE VIEW analytics.sla_steps WITH (security_barrier) AS
SELECT s.event_id, s.letter_id, s.case_id, s.office, s.service, s.step, s.role, s.action,
       s.entered_at, s.acted_at,
       s.acted_at - s.entered_at AS time_at_step,
       analytics.working_days_between(s.entered_at, s.acted_at,
                                      coalesce(o.utc_offset, interval '7 hours'))
           AS working_days_at_step,
       s.case_breached
FROM (
    SELECT e.event_id, (e.data->>'letter_id')::uuid AS letter_id, e.case_id, e.office,
           reg.service,
           CASE WHEN e.event_type = 'LetterDrafted' THEN 0
                ELSE (e.data->>'step')::integer END AS step,
           CASE WHEN e.event_type = 'LetterDrafted' THEN 'drafter' ELSE e.data->>'role' END AS role,
           CASE e.event_type
               WHEN 'LetterDrafted' THEN 'drafted' WHEN 'LetterReviewed' THEN 'reviewed'
               WHEN 'LetterReturned' THEN 'returned' WHEN 'LetterSigned' THEN 'signed'
           END AS action,
           lag(e.occurred_at) OVER (PARTITION BY e.data->>'letter_id'
                                    ORDER BY e.global_position) AS entered_at,
           e.occurred_at AS acted_at,
           EXISTS (SELECT 1 FROM eventstore.events b
                   WHERE b.case_id = e.case_id AND b.event_type = 'DeadlineBreached'
                     AND b.data->>'step' IS NULL
                     AND b.occurred_at <= analytics.as_of()) AS case_breached
    FROM eventstore.events e
    LEFT JOIN (SELECT r.case_id, r.data->>'service' AS service
               FROM eventstore.events r
               WHERE r.event_type = 'ComplaintRegistered') reg ON reg.case_id = e.case_id
    WHERE e.event_type IN ('LetterDrafted', 'LetterReviewed', 'LetterReturned', 'LetterSigned')
      AND e.occurred_at <= analytics.as_of()
) s
LEFT JOIN analytics.offices o ON o.office = s.office
WHERE s.entered_at IS NOT NULL;

COMMENT ON VIEW analytics.sla_steps IS
    'One row per step taken in a letter''s approval chain: who (role) held it, from when to when, and what they did.';
COMMENT ON COLUMN analytics.sla_steps.event_id IS 'The fact that ended the step.';
COMMENT ON COLUMN analytics.sla_steps.letter_id IS 'The letter.';
COMMENT ON COLUMN analytics.sla_steps.case_id IS 'Its case.';
COMMENT ON COLUMN analytics.sla_steps.office IS 'Catalogue id of the office.';
COMMENT ON COLUMN analytics.sla_steps.service IS 'Catalogue id of the case''s service.';
COMMENT ON COLUMN analytics.sla_steps.step IS 'The chain step (1 = first reviewer; 0 = the drafter resubmitting after a return; signing carries none).';
COMMENT ON COLUMN analytics.sla_steps.role IS 'The role that held the letter at this step (sub_coordinator, head_of_division, secretary, ...; drafter).';
COMMENT ON COLUMN analytics.sla_steps.action IS 'reviewed, returned, signed, or drafted (a resubmission).';
COMMENT ON COLUMN analytics.sla_steps.entered_at IS 'When the letter reached this step (the previous fact of the letter).';
COMMENT ON COLUMN analytics.sla_steps.acted_at IS 'When the step was done.';
COMMENT ON COLUMN analytics.sla_steps.time_at_step IS 'acted_at - entered_at.';
COMMENT ON COLUMN analytics.sla_steps.working_days_at_step IS 'Working days the letter waited at the step (0: same day).';
COMMENT ON COLUMN analytics.sla_steps.case_breached IS 'The case''s deadline was breached (casework recorded DeadlineBreached).';

-- ---- IKM answers per element ------------------------------------------------------------

CREATE VIEW analytics.ikm_answers WITH (security_barrier) AS
SELECT (e.data->>'survey_id')::uuid AS survey_id,
       e.case_id,
       coalesce(e.data->>'office', e.office) AS office,
       e.data->>'service' AS service,
       e.channel,
       e.occurred_at AS answered_at,
       s.key AS element,
       CASE s.key
           WHEN 'u1' THEN 'Persyaratan'
           WHEN 'u2' THEN 'Sistem, mekanisme, dan prosedur'
           WHEN 'u3' THEN 'Waktu penyelesaian'
           WHEN 'u4' THEN 'Biaya/tarif'
           WHEN 'u5' THEN 'Produk spesifikasi jenis pelayanan'
           WHEN 'u6' THEN 'Kompetensi pelaksana'
           WHEN 'u7' THEN 'Perilaku pelaksana'
           WHEN 'u8' THEN 'Penanganan pengaduan, saran dan masukan'
           WHEN 'u9' THEN 'Sarana dan prasarana'
       END AS element_name,
       s.value::integer AS score
FROM eventstore.events e
CROSS JOIN LATERAL jsonb_each_text(e.data->'scores') s
WHERE e.event_type = 'SurveyAnswered' AND e.occurred_at <= analytics.as_of();

COMMENT ON VIEW analytics.ikm_answers IS
    'One row per answered element of an IKM survey (PermenPANRB 14/2017: nine elements u1..u9, scored 1-4).';
COMMENT ON COLUMN analytics.ikm_answers.survey_id IS 'The answer sheet.';
COMMENT ON COLUMN analytics.ikm_answers.case_id IS 'The case it is about.';
COMMENT ON COLUMN analytics.ikm_answers.office IS 'Catalogue id of the office.';
COMMENT ON COLUMN analytics.ikm_answers.service IS 'Catalogue id of the service.';
COMMENT ON COLUMN analytics.ikm_answers.channel IS 'The channel of the case''s request.';
COMMENT ON COLUMN analytics.ikm_answers.answered_at IS 'When the citizen answered.';
COMMENT ON COLUMN analytics.ikm_answers.element IS 'u1..u9.';
COMMENT ON COLUMN analytics.ikm_answers.element_name IS 'The element''s name in the regulation.';
COMMENT ON COLUMN analytics.ikm_answers.score IS '1 (tidak baik) to 4 (sangat baik).';
