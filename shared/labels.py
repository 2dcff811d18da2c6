"""What staff read for a code of the shared vocabulary, in Bahasa Indonesia.

The codes (`shared.contracts.vocab`, and the reasons events carry) are stored in events and
tokens; these are the words the staff web app's pages, the case timeline and the analysts'
monthly report show for them, the same in all.
"""

from __future__ import annotations

from shared.contracts.vocab import Channel, Role

CHANNEL_LABELS: dict[str, str] = {
    Channel.WALK_IN: "Datang langsung",
    Channel.LETTER: "Surat",
    Channel.EMAIL: "E-mail",
    Channel.SP4N_LAPOR: "SP4N-LAPOR!",
    Channel.WHATSAPP: "WhatsApp",
    Channel.FACEBOOK: "Facebook",
    Channel.INSTAGRAM: "Instagram",
    Channel.TWITTER: "X (Twitter)",
    Channel.YOUTUBE: "YouTube",
    Channel.WEBSITE: "Situs web",
    Channel.TELEPHONE: "Telepon",
    Channel.SUGGESTION_BOX: "Kotak saran",
    Channel.SURVEY_FORM: "Formulir survei",
}


# Each role as staff read it (the dashboard's screens, the case timeline).
ROLE_LABELS: dict[Role, str] = {
    Role.RECEPTIONIST: "Resepsionis",
    Role.FRONT_OFFICE: "Petugas front office",
    Role.BACK_OFFICE: "Petugas back office",
    Role.OFFICER: "Petugas pelayanan",
    Role.COMPLAINT_OFFICER: "Petugas pengelola pengaduan",
    Role.SUB_COORDINATOR: "Sub-koordinator",
    Role.HEAD_OF_DIVISION: "Kepala Bidang",
    Role.SECRETARY: "Sekretaris Dinas",
    Role.HEAD_OF_OFFICE: "Kepala Dinas",
    Role.SOCIAL_WORKER: "Pekerja sosial",
    Role.PSYCHOLOGIST: "Psikolog",
    Role.ANALYST: "Analis",
    Role.ADMIN: "Administrator",
    Role.REGISTRY_ADMIN: "Pengelola data DTKS/DTSEN",
    Role.AUDITOR: "Auditor",
    Role.DATA_PROTECTION_OFFICER: "Pejabat pelindungan data pribadi",
}


def role_label(code: object) -> str:
    """A role id (or an old name such as "kabid") as staff read it; an unknown one as is."""
    try:
        return ROLE_LABELS[Role(str(code))]
    except (ValueError, KeyError):
        return str(code)


# Why a person was not verified, as staff read it (the case timeline, the case page).
DTKS_NOT_FOUND_LABELS: dict[str, str] = {
    "not_listed": "tidak terdaftar",
    "nik_invalid": "NIK tidak valid",
    "nik_missing": "NIK tidak ada",
    "listed_in_other_region": "terdaftar di daerah lain",
}


# A document's form, as a checklist, a message and the timeline say it.
FORM_LABELS: dict[str, str] = {
    "original": "asli",
    "copy": "fotokopi",
    "either": "asli atau fotokopi",
}
