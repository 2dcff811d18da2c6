"""The words every service shares: channels a citizen can use and roles staff hold.

Values are stable identifiers stored in events and tokens; labels for people live in the
catalogue and the UI, not here.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """A door through which a request reaches an office."""

    WALK_IN = "walk_in"  # the desk: queue number, guest book
    LETTER = "letter"  # letter or post, scanned and typed in
    EMAIL = "email"
    SP4N_LAPOR = "sp4n_lapor"  # the national complaint platform (lapor.go.id)
    WHATSAPP = "whatsapp"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    TWITTER = "twitter"
    YOUTUBE = "youtube"
    WEBSITE = "website"  # the office's web form or blog
    TELEPHONE = "telephone"  # telephone / call centre
    SUGGESTION_BOX = "suggestion_box"  # kotak saran
    SURVEY_FORM = "survey_form"  # Survei Kepuasan Masyarakat form


class Role(StrEnum):
    """What a staff member may do; a token carries one or more of these."""

    RECEPTIONIST = "receptionist"  # guest book, ID card left at reception
    FRONT_OFFICE = "front_office"  # registers, checks completeness
    BACK_OFFICE = "back_office"  # DTKS checks, prints certificates
    OFFICER = "officer"  # petugas pelayanan: drafts letters
    COMPLAINT_OFFICER = "complaint_officer"  # petugas pengelola pengaduan
    SUB_COORDINATOR = "sub_coordinator"  # sub-koordinator / kasubbag / kasi
    HEAD_OF_DIVISION = "head_of_division"  # kepala bidang (Kabid)
    SECRETARY = "secretary"  # sekretaris dinas
    HEAD_OF_OFFICE = "head_of_office"  # kepala dinas
    SOCIAL_WORKER = "social_worker"  # pekerja sosial
    PSYCHOLOGIST = "psychologist"
    ANALYST = "analyst"  # reads reports, no case files
    ADMIN = "admin"  # runs the system: rebuilds, catalogue
    # Loads and corrects the social registry (DTKS/DTSEN) for the office's regions only.
    REGISTRY_ADMIN = "registry_admin"
    # Reads the audit log (who read which personal data, when and why); nothing else.
    AUDITOR = "auditor"
    DATA_PROTECTION_OFFICER = "data_protection_officer"  # PDP officer: erases personal data

    @classmethod
    def _missing_(cls, value: object) -> Role | None:
        # Role names are English; tokens and events written before that still say "kabid".
        return cls.HEAD_OF_DIVISION if value == "kabid" else None


# Roles that work on no case: they never read case files, whatever a role set built as
# "every role but ..." would say.
NO_CASE_ROLES = frozenset({Role.REGISTRY_ADMIN, Role.AUDITOR})


class DurationUnit(StrEnum):
    """How a published completion time is counted."""

    MINUTES = "minutes"
    HOURS = "hours"
    WORKING_DAYS = "working_days"  # hari kerja: weekends, holidays, cuti bersama excluded
