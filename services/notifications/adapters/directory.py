"""What a message says about the office and its service, from the published catalogue.

A thin lookup over the catalogue the runtime loaded (the bootstrap hands it in; a
catalogue that cannot be read stops the service at start). Every lookup falls back to
plain words when the catalogue lacks the entry: a citizen still gets their message, and
the log says why it is plainer.
"""

from __future__ import annotations

import re

from shared.catalogue import Catalogue, Office, OfficeMessages, ServiceStandard
from shared.contracts.vocab import Channel
from shared.logging import get_logger

log = get_logger(__name__)

FALLBACK_OFFICE = "Dinas Sosial"


class OfficeDirectory:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def _office(self, office: str) -> Office | None:
        try:
            return self.catalogue.office(office)
        except KeyError:
            log.warning("office_not_in_catalogue", office=office)
            return None

    def _service(self, office: str, service: str) -> ServiceStandard | None:
        o = self._office(office)
        if o is None:
            return None
        try:
            return o.service(service)
        except KeyError:
            log.warning("service_not_in_catalogue", office=office, service=service)
            return None

    def messages(self, office: str) -> OfficeMessages:
        """What the office's citizens are told: its own wording over the default
        (`catalogue/messages/`)."""
        return self.catalogue.messages_for(office)

    def office_contact(self, office: str) -> str | None:
        """The office's public contact as published: address, telephone, e-mail."""
        o = self._office(office)
        if o is None:
            return None
        parts = [o.address, f"telp. {o.phone}" if o.phone else None, o.email]
        return ", ".join(p for p in parts if p)

    def office_name(self, office: str) -> str:
        o = self._office(office)
        return o.name if o else FALLBACK_OFFICE

    def office_address(self, office: str) -> str | None:
        o = self._office(office)
        return o.address if o else None

    def area_name(self, office: str) -> str | None:
        """The area an office serves, in words: "Dinas Sosial Kota Mataram" -> "Kota
        Mataram"; "Dinas Sosial, P3A Kabupaten Lumajang" -> "Kabupaten Lumajang"."""
        o = self._office(office)
        if o is None:
            return None
        found = re.search(r"\b(Kota|Kabupaten)\s.+$", o.name)
        return found.group(0) if found else None

    def region_code(self, office: str) -> str | None:
        o = self._office(office)
        return o.region_code if o else None

    def office_for_region(self, region_code: str) -> tuple[str, str] | None:
        """(name, address) of the office in the catalogue whose region contains
        `region_code` ('35.08' contains '35.08.01.2001'), if there is one."""
        for o in self.catalogue.offices.values():
            if region_code == o.region_code or region_code.startswith(o.region_code + "."):
                return o.name, o.address
        return None

    def service_name(self, office: str, service: str) -> str | None:
        s = self._service(office, service)
        return s.name if s else None

    def workflow(self, office: str, service: str) -> str | None:
        """The service's workflow (`letter`, `complaint_answer`, `certificate`,
        `social_work`): how its citizen is addressed (`templates.service_kind`)."""
        s = self._service(office, service)
        return s.workflow if s else None

    def completion_time(self, office: str, service: str, channel: Channel) -> str | None:
        s = self._service(office, service)
        return s.completion_time_for(channel).label if s else None

    def letter_name(self, office: str, service: str, letter_type: str) -> str | None:
        s = self._service(office, service)
        if s is None:
            return None
        return next((p.name for p in s.products if p.letter_type == letter_type), None)

    def agency_name(self, office: str, agency: str) -> str:
        o = self._office(office)
        if o is not None:
            for s in o.services.values():
                for a in s.agencies:
                    if a.id == agency:
                        return a.name
        # Not in the catalogue: the id in words ("dinas-kesehatan" -> "Dinas Kesehatan";
        # short ids are acronyms: "bpjs" -> "BPJS").
        words = agency.replace("_", "-").split("-")
        return " ".join(w.upper() if len(w) <= 4 else w.capitalize() for w in words)
