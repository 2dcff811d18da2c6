-- Personal fields are sealed in the event store (shared/personal.py): the NIK the
-- requester key was computed from is ciphertext now. The key is the HMAC of the person's
-- NIK blind index (eventstore.subjects) instead, or of the subject id once erased, or, for
-- events written in clear (before sealing, or the bench with it switched off), the NIK or
-- intake's citizen id as before. Same columns, same meaning: a stable pseudonym.
CREATE OR REPLACE VIEW analytics.cases AS
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
               'person:' || encode(subj.blind_index, 'hex'),
               'subject:' || subj.subject_id,
               'nik:' || (r.data->'applicant'->>'nik'),
               'citizen:' || (r.data->>'citizen_id')), 'UTF8'))), 'hex')
       END AS requester_key
FROM eventstore.events r
LEFT JOIN analytics.offices o ON o.office = r.office
LEFT JOIN analytics_private.pepper p ON true
-- The applicant is sealed (crypto-shredding): its subject id is in clear in the ciphertext;
-- the person is the subject's NIK blind index (gone once erased: then the subject alone).
LEFT JOIN eventstore.subjects subj
    ON jsonb_typeof(r.data->'applicant') = 'string'
   AND subj.subject_id = split_part(r.data->>'applicant', ':', 3)::uuid
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

