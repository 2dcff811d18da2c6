"""What staff read for a code of the shared vocabulary, in Bahasa Indonesia.

The codes (`shared.contracts.vocab`) are stored in events and tokens; these are the words
the staff web app's pages and the analysts' monthly report show for them, the same in both.
"""

from __future__ import annotations

from shared.contracts.vocab import Channel

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
