"""How a citizen receives what the office produces, by the channel their request came in.

Walk-ins, and requests by letter or post, telephone, the suggestion box or the survey
form, are served at the office: their letter is collected at the desk (with the ticket
number and the KTP), and what they still need to bring, they bring. Online requests
(WhatsApp, e-mail, the website form, social media, SP4N-LAPOR) are served online: their
letter comes as a one-time download link, and what they still need to send, they send by
answering the message. Nobody who asked online is asked to come in for the letter.
"""

from __future__ import annotations

from typing import Literal

from shared.contracts.vocab import Channel

Delivery = Literal["at_office", "online"]

ONLINE_CHANNELS = frozenset(
    {
        Channel.WHATSAPP,
        Channel.EMAIL,
        Channel.WEBSITE,
        Channel.FACEBOOK,
        Channel.INSTAGRAM,
        Channel.TWITTER,
        Channel.YOUTUBE,
        Channel.SP4N_LAPOR,
    }
)

# Channels a file can travel on as an attachment (a real sender may attach the PDF; the
# link is in the text all the same).
FILE_CHANNELS = frozenset({Channel.EMAIL})

CHANNEL_WORDS = {
    Channel.WHATSAPP: "WhatsApp",
    Channel.EMAIL: "e-mail",
    Channel.WEBSITE: "formulir website",
    Channel.FACEBOOK: "Facebook",
    Channel.INSTAGRAM: "Instagram",
    Channel.TWITTER: "X (Twitter)",
    Channel.YOUTUBE: "YouTube",
    Channel.SP4N_LAPOR: "SP4N-LAPOR!",
    Channel.TELEPHONE: "telepon",
    Channel.WALK_IN: "layanan tatap muka",
    Channel.LETTER: "surat",
    Channel.SUGGESTION_BOX: "kotak saran",
    Channel.SURVEY_FORM: "formulir survei",
}


def delivery_for(request_channel: Channel) -> Delivery:
    return "online" if request_channel in ONLINE_CHANNELS else "at_office"
