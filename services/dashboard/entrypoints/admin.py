"""The staff directory for administrators: `/admin/staf` (list, add, change, reset the
password, deactivate)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.dashboard.domain.accounts import ROLE_LABELS, Account
from services.dashboard.domain.refusals import explain
from services.dashboard.entrypoints.deps import Me, SignedIn, flash, get_dashboard, render, require
from services.dashboard.service_layer import manage_staff
from services.dashboard.service_layer.manage_staff import AccountForm
from shared.contracts.vocab import Role
from shared.refusal import Refused

router = APIRouter(prefix="/admin/staf", tags=["staff"])


def _form_context(request: Request, me: Me, **extra: Any) -> dict[str, Any]:
    d = get_dashboard(request)
    return {
        "offices": sorted((o.id, o.name) for o in d.catalogue.offices.values()),
        "roles": [(r.value, label) for r, label in ROLE_LABELS.items()],
        **extra,
    }


@router.get("", response_class=HTMLResponse)
async def staff_list(request: Request, me: SignedIn) -> HTMLResponse:
    require(me, Role.ADMIN)
    accounts = await manage_staff.list_accounts(get_dashboard(request).pool, me.account)
    return render(request, "admin/staff_list.html", {"accounts": accounts}, me=me, active="staff")


@router.get("/baru", response_class=HTMLResponse)
async def new_staff(request: Request, me: SignedIn) -> HTMLResponse:
    require(me, Role.ADMIN)
    ctx = _form_context(request, me, account=None, values={"office": me.account.office})
    return render(request, "admin/staff_form.html", ctx, me=me, active="staff")


@router.post("", response_class=HTMLResponse)
async def create_staff(
    request: Request,
    me: SignedIn,
    username: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=200)],
    office: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1000)],
    email: Annotated[str, Form(max_length=254)] = "",
    roles: Annotated[list[str] | None, Form()] = None,
) -> Response:
    require(me, Role.ADMIN)
    d = get_dashboard(request)
    form = AccountForm(office=office, name=name, roles=roles or [], email=email)
    try:
        await manage_staff.create_account(
            d.pool, d.catalogue, me.account, username=username, password=password, form=form
        )
    except Refused as exc:
        values = {"username": username, "name": name, "office": office, "email": email}
        ctx = _form_context(
            request,
            me,
            account=None,
            values={**values, "roles": roles or []},
            notice=explain(exc.code, exc.status, exc.message, exc.details),
        )
        return render(request, "admin/staff_form.html", ctx, me=me, status=exc.status)
    response = RedirectResponse("/admin/staf", status_code=303)
    flash(response, "staff_created")
    return response


def _values(account: Account) -> dict[str, Any]:
    return {
        "username": account.username,
        "name": account.name,
        "office": account.office,
        "email": account.email or "",
        "roles": sorted(r.value for r in account.roles),
        "active": account.active,
    }


@router.get("/{account_id}", response_class=HTMLResponse)
async def edit_staff(request: Request, me: SignedIn, account_id: UUID) -> HTMLResponse:
    require(me, Role.ADMIN)
    account = await manage_staff.get_account(get_dashboard(request).pool, me.account, account_id)
    ctx = _form_context(request, me, account=account, values=_values(account))
    return render(request, "admin/staff_form.html", ctx, me=me, active="staff")


@router.post("/{account_id}", response_class=HTMLResponse)
async def update_staff(
    request: Request,
    me: SignedIn,
    account_id: UUID,
    name: Annotated[str, Form(max_length=200)],
    office: Annotated[str, Form(max_length=64)],
    email: Annotated[str, Form(max_length=254)] = "",
    roles: Annotated[list[str] | None, Form()] = None,
    active: Annotated[str | None, Form()] = None,
) -> Response:
    require(me, Role.ADMIN)
    d = get_dashboard(request)
    form = AccountForm(office=office, name=name, roles=roles or [], email=email)
    try:
        await manage_staff.update_account(
            d.pool, d.catalogue, me.account, account_id, form, active=active == "on"
        )
    except Refused as exc:
        account = await manage_staff.get_account(d.pool, me.account, account_id)
        values = {**_values(account), "name": name, "office": office, "email": email}
        ctx = _form_context(
            request,
            me,
            account=account,
            values={**values, "roles": roles or [], "active": active == "on"},
            notice=explain(exc.code, exc.status, exc.message, exc.details),
        )
        return render(request, "admin/staff_form.html", ctx, me=me, status=exc.status)
    response = RedirectResponse("/admin/staf", status_code=303)
    flash(response, "staff_updated")
    return response


@router.post("/{account_id}/kata-sandi", response_class=HTMLResponse)
async def reset_password(
    request: Request,
    me: SignedIn,
    account_id: UUID,
    password: Annotated[str, Form(max_length=1000)],
) -> Response:
    require(me, Role.ADMIN)
    d = get_dashboard(request)
    await manage_staff.reset_password(d.pool, me.account, account_id, password)
    response = RedirectResponse(f"/admin/staf/{account_id}", status_code=303)
    flash(response, "password_reset")
    return response
