"""The published service standards (Standar Pelayanan) as frozen, validated data.

One `Office` per data file in `catalogue/`; each office publishes one or more
`ServiceStandard`s. Everything here is immutable: a change to a standard is a change to
its data file and a new `version`, never a mutation at run time.

In the data files, `services` and `variants` are written as lists of items that each
carry an `id`; the models turn them into mappings keyed by that id (a mapping keyed by
id is accepted too), so validation errors read `services.<id>.variants.<id>....`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from shared.catalogue.messages import MessageCatalogue, OfficeMessages
from shared.contracts.vocab import Channel, DurationUnit, Role

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")]
"""A stable identifier: lower-case letters and digits joined by '-' or '_'."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

Workflow = Literal["letter", "complaint_answer", "certificate", "social_work"]
"""How a case of this service is carried out.

letter: a letter goes through an approval chain; complaint_answer: a complaint answered
directly or in writing; certificate: a DTKS certificate printed by the back office;
social_work: LK3 casework.
"""

DocumentForm = Literal["original", "copy", "either"]
ApprovalAction = Literal["draft", "approve", "sign", "disposition"]
IdentityDisclosure = Literal["full", "masked"]


class CatalogueError(Exception):
    """A catalogue data file is missing, unreadable or invalid.

    `file` is the offending file when there is one; `problems` holds one line per
    problem, each `<file>: <field path>: <message>`.
    """

    def __init__(
        self, message: str, *, file: str | None = None, problems: Iterable[str] = ()
    ) -> None:
        super().__init__(message)
        self.file = file
        self.problems = tuple(problems) or (message,)


class UnknownEntry(KeyError, CatalogueError):
    """An id that is not in the catalogue (an office, service, variant, ...)."""

    def __init__(self, kind: str, key: str) -> None:
        KeyError.__init__(self, kind, key)
        self.kind = kind
        self.key = key
        self.file = None
        self.problems = (str(self),)

    def __str__(self) -> str:
        return f"unknown {self.kind}: {self.key!r}"


def _fail(message: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError("catalogue", message, context)


def _keyed_by_id(value: Any, what: str) -> Any:
    """Turn a YAML list of `{id: ..., ...}` items into a mapping keyed by id."""
    if not isinstance(value, list):
        return value
    keyed: dict[Any, Any] = {}
    for index, item in enumerate(value):
        if not isinstance(item, dict) or "id" not in item:
            raise _fail(
                "{what} #{index} has no 'id'",
                what=what,
                index=index + 1,
            )
        item_id = item["id"]
        if item_id in keyed:
            raise _fail("duplicate {what} id '{id}'", what=what, id=item_id)
        keyed[item_id] = item
    return keyed


def _spelled(duration: Duration) -> str:
    """A duration in a validation message: what the clocks count, and the published
    wording where there is one: '2 working_days ("2x24 jam")'."""
    counted = f"{duration.value} {duration.unit.value}"
    return f'{counted} ("{duration.published}")' if duration.published else counted


def _check_keys_match_ids(items: dict[str, Any], what: str) -> None:
    for key, item in items.items():
        if key != item.id:
            raise _fail(
                "{what} keyed '{key}' has id '{id}'",
                what=what,
                key=key,
                id=item.id,
            )


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Duration(_Frozen):
    """A published time span: `Duration(1, DurationUnit.WORKING_DAYS)`.

    `value` and `unit` are what the clocks count, in office time (minutes and hours are
    office minutes and hours; a working day is one office day). `published` is the
    standard's own wording where it is not simply "<value> <unit>": Lumajang's complaint
    response "paling lama 2x24 jam" is counted as two working days and read as "2x24 jam"
    (`Duration(2, DurationUnit.WORKING_DAYS, published="2x24 jam")`).
    """

    value: int = Field(ge=0)
    unit: DurationUnit
    published: Text | None = None

    def __init__(self, value: int, unit: DurationUnit | str, **data: Any) -> None:
        BaseModel.__init__(self, value=value, unit=unit, **data)

    @property
    def label(self) -> str:
        """Indonesian wording, as on a standard: '15 menit', '1 jam', '7 hari kerja', or
        the published wording where the standard gives one ('2x24 jam')."""
        if self.published is not None:
            return self.published
        words = {
            DurationUnit.MINUTES: "menit",
            DurationUnit.HOURS: "jam",
            DurationUnit.WORKING_DAYS: "hari kerja",
        }
        return f"{self.value} {words[self.unit]}"

    def __str__(self) -> str:
        return self.label


class Signatory(_Frozen):
    """An official whose name goes on letters. Data files hold placeholders only."""

    title: Text  # jabatan
    name: Text
    nip: Annotated[str, StringConstraints(pattern=r"^\d{18}$")]
    rank: Text | None = None  # pangkat/golongan, printed under the name when given


class Letterhead(_Frozen):
    """The kop surat, line by line."""

    government: Text  # e.g. PEMERINTAH KABUPATEN LUMAJANG
    office: Text
    address: Text
    contact: Text | None = None


class ComplaintChannel(_Frozen):
    """A way to complain about a service, as the standard lists it."""

    channel: Channel
    label: Text  # Indonesian, as published
    contact: Text | None = None  # address, number, URL, account
    inferred: bool = False  # True where the standard does not say it in so many words


class DocumentRequirement(_Frozen):
    """A document (or condition shown by a document) the citizen must bring."""

    type: Slug  # ktp, kk, kks, police_loss_report, materai_10000, ...
    name: Text  # Indonesian label
    form: DocumentForm = "either"
    note: Text | None = None
    # Requirements of one variant that share a group are alternatives: any one of them
    # satisfies the group ("KTP/KIA", "KTP atau identitas diri lainnya").
    alternative_group: Slug | None = None
    # Routes: required of requests through these channels only; empty = all. An original
    # shown at the desk cannot be asked of a letter that came by post.
    channels: tuple[Channel, ...] = ()

    def applies_to(self, channel: Channel | None) -> bool:
        return not self.channels or channel is None or channel in self.channels


class Product(_Frozen):
    """What the citizen leaves with."""

    id: Slug
    name: Text
    letter_type: Slug | None = None  # template slug where the product is a letter
    note: Text | None = None
    # Classification code (kode klasifikasi arsip) leading the letter number; the
    # documents service uses its default (400.9) where none is given.
    classification_code: Annotated[str, StringConstraints(pattern=r"^\d{3}(\.\d+)*$")] | None = None
    # How a letter identifies the person it is about, as its recipient needs it: `full`
    # (a bank: the whole NIK, KK and KKS numbers) or `masked` (the NIK's first and last
    # four digits only). The public verification page always masks.
    identity: IdentityDisclosure = "masked"


class Variant(_Frozen):
    """One kind of request within a service, with its own document list."""

    id: Slug
    name: Text
    required_documents: tuple[DocumentRequirement, ...] = ()
    products: tuple[Slug, ...] = ()

    @model_validator(mode="after")
    def _no_duplicate_documents(self) -> Variant:
        seen: set[tuple[str, str]] = set()
        for doc in self.required_documents:
            if (doc.type, doc.form) in seen:
                raise _fail(
                    "required_documents: '{type}' ({form}) listed twice",
                    type=doc.type,
                    form=doc.form,
                )
            seen.add((doc.type, doc.form))
        return self


class ProcedureStep(_Frozen):
    """One step of the published procedure (Sistem, Mekanisme dan Prosedur)."""

    order: int = Field(ge=1)
    description: Text  # Indonesian, from the standard
    role: Role  # the staff role that carries the step
    time: Duration | None = None
    sessions_min: int | None = Field(default=None, ge=1)
    sessions_max: int | None = Field(default=None, ge=1)
    # Routes: the step belongs to requests through these channels only; empty = all.
    channels: tuple[Channel, ...] = ()

    @model_validator(mode="after")
    def _sessions_ordered(self) -> ProcedureStep:
        if (self.sessions_min is None) != (self.sessions_max is None):
            raise _fail("sessions_min and sessions_max go together")
        if (
            self.sessions_min is not None
            and self.sessions_max is not None
            and self.sessions_min > self.sessions_max
        ):
            raise _fail("sessions_min is greater than sessions_max")
        return self


class ApprovalStep(_Frozen):
    """One hand in the approval chain of a letter or written answer."""

    role: Role
    action: ApprovalAction
    label: Text  # Indonesian
    inferred: bool = False  # True where the standard does not spell this step out


class ClassificationRule(_Frozen):
    """Keywords that point free text at a variant.

    A rule matches when every group has at least one keyword in the text (case-insensitive
    substring). Rules are tried in order; the first match wins.
    """

    variant: Slug
    keyword_groups: tuple[tuple[Text, ...], ...] = Field(min_length=1)

    @field_validator("keyword_groups")
    @classmethod
    def _lower(cls, groups: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        if any(not group for group in groups):
            raise _fail("a keyword group is empty")
        return tuple(tuple(word.lower() for word in group) for group in groups)

    def matches(self, text: str) -> bool:
        lowered = text.lower()
        return all(any(word in lowered for word in group) for group in self.keyword_groups)


class DispositionTarget(_Frozen):
    """An official a disposition may go to, by role, and to whom they may delegate it."""

    role: Role
    # Lower roles the disposed official may hand the work on to (empty: they do it).
    delegate_to: tuple[Role, ...] = ()

    @model_validator(mode="after")
    def _not_to_oneself(self) -> DispositionTarget:
        if self.role in self.delegate_to:
            raise _fail("disposition: {role} cannot delegate to its own role", role=self.role.value)
        return self


class DispositionRule(_Frozen):
    """The head's disposition (disposisi) of a case of this service: who gives it, to which
    officials (by role) it may go, and to whom each of them may delegate the work (Kupang:
    Kepala Dinas to the Sekretariat, a Kabid or a Kasubid)."""

    by: Role
    to: tuple[DispositionTarget, ...] = Field(min_length=1)
    label: Text | None = None  # Indonesian, as published
    inferred: bool = False  # True where the standard does not spell this out

    @model_validator(mode="after")
    def _distinct(self) -> DispositionRule:
        roles = [t.role for t in self.to]
        if len(set(roles)) != len(roles):
            raise _fail("disposition.to: a role is listed twice")
        return self

    @property
    def roles(self) -> tuple[Role, ...]:
        """The roles a disposition may go to, in the order the standard lists them."""
        return tuple(t.role for t in self.to)

    def delegates(self, role: Role | str) -> tuple[Role, ...]:
        """Whom an official disposed (or delegated) to in `role` may delegate to."""
        for target in self.to:
            if target.role == role:
                return target.delegate_to
        return ()


class Agency(_Frozen):
    """An outside body a citizen is referred to."""

    id: Slug
    name: Text


class ProgrammeReferral(_Frozen):
    """An assistance programme and the agencies that run it (Pariaman)."""

    programme: Slug  # pkh, sembako, kis, kip
    name: Text
    agencies: tuple[Slug, ...]
    inferred: bool = False


class ServiceStandard(_Frozen):
    """One published Standar Pelayanan."""

    id: Slug
    name: Text  # Indonesian title as published
    description: Text | None = None
    sk_number: Text | None = None  # null where the published "No. SK" is blank
    version: Text
    legal_basis: Text | None = None
    workflow: Workflow
    requires_dtks: bool
    domicile_region_code: Annotated[str, StringConstraints(pattern=r"^\d{2}\.\d{2}$")] | None = None
    channels: tuple[Channel, ...] = Field(min_length=1)
    variants: dict[str, Variant] = Field(min_length=1)
    procedure: tuple[ProcedureStep, ...] = ()
    completion_time: Duration
    completion_time_by_channel: dict[Channel, Duration] = Field(default_factory=dict)
    completion_time_note: Text | None = None
    fee: int = Field(ge=0)  # rupiah; 0 = "Tidak dipungut biaya"
    products: tuple[Product, ...] = Field(min_length=1)
    approval_chain: tuple[ApprovalStep, ...] = ()
    # The head's disposition and its delegation (data: which roles; see DispositionRule).
    disposition: DispositionRule | None = None
    # Channels whose requests go through the approval chain; empty = all of them.
    approval_chain_channels: tuple[Channel, ...] = ()
    classification: tuple[ClassificationRule, ...] = ()
    agencies: tuple[Agency, ...] = ()
    programme_referrals: tuple[ProgrammeReferral, ...] = ()
    # Where the standard lists complaint channels of its own; else the office's apply.
    complaint_channels: tuple[ComplaintChannel, ...] | None = None

    @field_validator("variants", mode="before")
    @classmethod
    def _variants_by_id(cls, value: Any) -> Any:
        return _keyed_by_id(value, "variant")

    @model_validator(mode="after")
    def _cross_check(self) -> ServiceStandard:
        _check_keys_match_ids(self.variants, "variant")
        product_ids = [p.id for p in self.products]
        if len(set(product_ids)) != len(product_ids):
            raise _fail("products: duplicate product id")
        for variant in self.variants.values():
            for product in variant.products:
                if product not in product_ids:
                    raise _fail(
                        "variants.{variant}.products: unknown product '{product}'",
                        variant=variant.id,
                        product=product,
                    )
        offered = set(self.channels)
        for channel in self.completion_time_by_channel:
            if channel not in offered:
                raise _fail(
                    "completion_time_by_channel.{channel}: not one of the service's channels",
                    channel=channel.value,
                )
        for channel in self.approval_chain_channels:
            if channel not in offered:
                raise _fail(
                    "approval_chain_channels: {channel} is not one of the service's channels",
                    channel=channel.value,
                )
        for variant in self.variants.values():
            for doc in variant.required_documents:
                for channel in doc.channels:
                    if channel not in offered:
                        raise _fail(
                            "variants.{variant}.required_documents.{doc}: {channel} is not "
                            "one of the service's channels",
                            variant=variant.id,
                            doc=doc.type,
                            channel=channel.value,
                        )
        for step in self.procedure:
            for channel in step.channels:
                if channel not in offered:
                    raise _fail(
                        "procedure step {order}: {channel} is not one of the service's channels",
                        order=step.order,
                        channel=channel.value,
                    )
        for channel in (None, *Channel):
            orders = [step.order for step in self._steps_for(channel)]
            if orders != sorted(set(orders)):
                raise _fail("procedure: step orders must rise without repeats on each route")
        if self.approval_chain:
            signers = [s for s in self.approval_chain if s.action == "sign"]
            if len(signers) != 1 or self.approval_chain[-1].action != "sign":
                raise _fail("approval_chain: must end with exactly one 'sign' step")
        for approval in self.approval_chain:
            if approval.action != "disposition":
                continue
            if self.disposition is None or self.disposition.by != approval.role:
                raise _fail(
                    "approval_chain: a disposition step by {role} needs a `disposition` "
                    "given by that role",
                    role=approval.role.value,
                )
        for rule in self.classification:
            if rule.variant not in self.variants:
                raise _fail(
                    "classification: unknown variant '{variant}'",
                    variant=rule.variant,
                )
        agency_ids = {a.id for a in self.agencies}
        for referral in self.programme_referrals:
            for agency in referral.agencies:
                if agency not in agency_ids:
                    raise _fail(
                        "programme_referrals.{programme}: unknown agency '{agency}'",
                        programme=referral.programme,
                        agency=agency,
                    )
        return self

    def _steps_for(self, channel: Channel | None) -> tuple[ProcedureStep, ...]:
        return tuple(
            step
            for step in self.procedure
            if not step.channels or (channel is not None and channel in step.channels)
        )

    def variant(self, variant_id: str) -> Variant:
        try:
            return self.variants[variant_id]
        except KeyError:
            raise UnknownEntry("variant", variant_id) from None

    def product(self, product_id: str) -> Product:
        for product in self.products:
            if product.id == product_id:
                return product
        raise UnknownEntry("product", product_id)

    def completion_time_for(self, channel: Channel) -> Duration:
        """The published time for requests through `channel`; the general time otherwise."""
        return self.completion_time_by_channel.get(channel, self.completion_time)

    def procedure_for(self, channel: Channel) -> tuple[ProcedureStep, ...]:
        """The steps a request through `channel` follows."""
        return self._steps_for(channel)

    def approval_chain_for(self, channel: Channel) -> tuple[ApprovalStep, ...]:
        """The approval chain for requests through `channel` (empty if none applies)."""
        if self.approval_chain_channels and channel not in self.approval_chain_channels:
            return ()
        return self.approval_chain

    @property
    def signing_role(self) -> Role | None:
        """The role that signs at the end of the approval chain, if there is one."""
        for step in self.approval_chain:
            if step.action == "sign":
                return step.role
        return None

    @property
    def approval_chain_inferred(self) -> bool:
        return any(step.inferred for step in self.approval_chain)

    def classify(self, text: str) -> Variant | None:
        """The variant the first matching classification rule points at, if any."""
        for rule in self.classification:
            if rule.matches(text):
                return self.variants[rule.variant]
        return None


class Office(_Frozen):
    """A Dinas Sosial office and the standards it publishes."""

    id: Slug
    name: Text  # official Indonesian name
    address: Text
    phone: Text | None = None
    website: Text | None = None
    email: Text | None = None
    region_code: Annotated[str, StringConstraints(pattern=r"^\d{2}\.\d{2}$")]
    letterhead: Letterhead
    letter_number_code: Text
    signatories: dict[Role, Signatory] = Field(default_factory=dict)
    complaint_channels: tuple[ComplaintChannel, ...] = ()
    complaint_response: Duration | None = None
    complaint_note: Text | None = None
    services: dict[str, ServiceStandard] = Field(min_length=1)
    # The regions whose members of the social registry (DTKS/DTSEN) this office's staff
    # may read and its registry administrators may load or edit: Kemendagri code prefixes
    # (regency "35.08", or districts "35.08.01"). Omitted: the office's own `region_code`.
    registry_regions: tuple[
        Annotated[str, StringConstraints(pattern=r"^\d{2}\.\d{2}(\.\d{2}(\.\d{4})?)?$")], ...
    ] = ()
    # Separation of duties in the letter chain: one person may not take two of its steps
    # (draft, a review, the signature). On unless the office states otherwise.
    separation_of_duties: bool = True
    # Retention of personal data (UU 27/2022 PDP): a person's data is erased (crypto-
    # shredding, the same erasure as the data protection officer's) once every case of
    # theirs has been closed for longer than this many years. Omitted: 5.
    retention_years: int = Field(default=5, ge=1, le=30)

    @field_validator("services", mode="before")
    @classmethod
    def _services_by_id(cls, value: Any) -> Any:
        return _keyed_by_id(value, "service")

    @property
    def registry_region_codes(self) -> tuple[str, ...]:
        return self.registry_regions or (self.region_code,)

    def covers_region(self, region_code: str) -> bool:
        """Whether a registry member of `region_code` (a village "35.08.01.2001") lies in
        this office's regions."""
        return any(
            region_code == prefix or region_code.startswith(prefix + ".")
            for prefix in self.registry_region_codes
        )

    @model_validator(mode="after")
    def _cross_check(self) -> Office:
        _check_keys_match_ids(self.services, "service")
        for service in self.services.values():
            role = service.signing_role
            if role is not None and role not in self.signatories:
                raise _fail(
                    "services.{service}.approval_chain: {role} signs but has no entry "
                    "in signatories",
                    service=service.id,
                    role=role.value,
                )
        if self.complaint_response is not None:
            self._check_complaint_response(self.complaint_response)
        return self

    def _check_complaint_response(self, response: Duration) -> None:
        """The office's published response time to complaints about its services is what
        a case of its complaint service runs on: a `complaint_answer` service whose
        completion time is `response` on every channel it offers, and which takes
        complaints from every one of the office's `complaint_channels`. Otherwise the
        promise would be loaded and never kept (or kept with another time)."""
        answering = [s for s in self.services.values() if s.workflow == "complaint_answer"]
        if not answering:
            raise _fail(
                "complaint_response: {response} is given, but no service has workflow "
                "complaint_answer to carry it (add one whose completion_time is {response})",
                response=_spelled(response),
            )
        keeping = [
            s
            for s in answering
            if s.completion_time == response
            and all(d == response for d in s.completion_time_by_channel.values())
        ]
        if not keeping:
            raise _fail(
                "complaint_response: {response} differs from the completion time of every "
                "complaint_answer service ({found})",
                response=_spelled(response),
                found=", ".join(
                    f"{s.id}: {_spelled(s.completion_time)}"
                    + "".join(
                        f", on {c.value}: {_spelled(d)}"
                        for c, d in s.completion_time_by_channel.items()
                        if d != response
                    )
                    for s in answering
                ),
            )
        wanted = {c.channel for c in self.complaint_channels}
        if any(wanted <= set(s.channels) for s in keeping):
            return
        raise _fail(
            "services.{service}.channels: complaint_response is for complaints from every "
            "complaint channel; missing: {missing}",
            service=keeping[0].id,
            missing=", ".join(sorted(c.value for c in wanted - set(keeping[0].channels))),
        )

    def service(self, service_id: str) -> ServiceStandard:
        try:
            return self.services[service_id]
        except KeyError:
            raise UnknownEntry("service", service_id) from None

    def signatory(self, role: Role) -> Signatory:
        try:
            return self.signatories[role]
        except KeyError:
            raise UnknownEntry("signatory", str(role)) from None

    def classify(self, text: str) -> tuple[ServiceStandard, Variant] | None:
        """The (service, variant) free text points at by the catalogue's rules, if any.

        Services are tried in the order the file lists them, each service's rules in order.
        """
        for service in self.services.values():
            variant = service.classify(text)
            if variant is not None:
                return service, variant
        return None

    def complaint_channels_for(self, service_id: str) -> tuple[ComplaintChannel, ...]:
        """The service's own complaint channels where it lists them, else the office's."""
        own = self.service(service_id).complaint_channels
        return own if own is not None else self.complaint_channels


class Catalogue(_Frozen):
    """Every office the system serves, keyed by office id, and what their citizens are
    told (`messages`: `catalogue/messages/`, see `shared.catalogue.messages`)."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    offices: dict[str, Office]
    messages: MessageCatalogue | None = Field(default=None, exclude=True)

    def messages_for(self, office_id: str | None) -> OfficeMessages:
        """The pieces an office's citizens are told (its own wording over the default)."""
        if self.messages is None:
            raise CatalogueError("the catalogue was loaded without its messages")
        return self.messages.for_office(office_id)

    @model_validator(mode="after")
    def _keys_match(self) -> Catalogue:
        _check_keys_match_ids(self.offices, "office")
        return self

    def office(self, office_id: str) -> Office:
        try:
            return self.offices[office_id]
        except KeyError:
            raise UnknownEntry("office", office_id) from None

    def service(self, office_id: str, service_id: str) -> ServiceStandard:
        return self.office(office_id).service(service_id)
