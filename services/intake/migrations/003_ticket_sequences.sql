-- Ticket numbers from one sequence per prefix and year, created on first use.
-- A sequence hands out numbers without a row lock, so concurrent registrations never wait
-- for each other (the counter row of 001 serialised them until commit). Numbers stay
-- unique; a registration that fails after taking one leaves a gap, harmless for a ticket.
-- Numbers given by the old counter are never reused: a new sequence starts after them.
CREATE FUNCTION intake.next_ticket(p_prefix text, p_year integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    seq text;
    first_number bigint;
BEGIN
    IF p_prefix !~ '^[A-Za-z0-9]+$' THEN
        RAISE EXCEPTION 'ticket prefix % must be letters and digits', p_prefix;
    END IF;
    seq := format('intake.ticket_%s_%s', lower(p_prefix), p_year);
    RETURN nextval(seq);
EXCEPTION WHEN undefined_table THEN
    -- First ticket of the year: two at once wait here, the second then finds it.
    PERFORM pg_advisory_xact_lock(hashtextextended('intake:ticket-seq', 0));
    SELECT coalesce(max(n), 0) + 1 INTO first_number
        FROM intake.ticket_counters WHERE prefix = p_prefix AND year = p_year;
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %s START %s', seq, first_number);
    RETURN nextval(seq);
END;
$$;
