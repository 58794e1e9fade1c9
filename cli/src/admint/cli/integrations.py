"""`admint webhooks …`, `admint estimate`, `admint usage`, `admint delete`: the integrator's commands.

They speak the API through the same client as the rest of the CLI; every command takes --json for scripts.
"""

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from admint.client import ApiClient, ApiError, Unreachable

webhooks_app = typer.Typer(help="Webhook endpoints, their secrets and deliveries.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
EXIT_API, EXIT_UNREACHABLE = 3, 4


def _client(ctx: typer.Context) -> ApiClient:
    client: ApiClient = ctx.obj.client()
    return client


def _call(ctx: typer.Context, method: str, path: str, *, expect: tuple[int, ...] = (200,),
          **kwargs: Any) -> Any:
    with _client(ctx) as client:
        try:
            response = client.request(method, path, expect=expect, **kwargs)
        except ApiError as exc:
            err.print(f"[red]error:[/] {exc.title} ({exc.status})" + (f": {exc.detail}" if exc.detail else ""),
                      soft_wrap=True)
            if exc.retry_after:
                err.print(f"retry after {exc.retry_after} s")
            raise typer.Exit(EXIT_API) from exc
        except Unreachable as exc:
            err.print(f"[red]error:[/] {exc}", soft_wrap=True)
            raise typer.Exit(EXIT_UNREACHABLE) from exc
    return response.json() if response.content else None


def _json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, default=str) + "\n")


AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


# ---------------------------------------------------------------------------------------------------- webhooks

def _endpoint_line(e: dict[str, Any]) -> str:
    state = "enabled" if e["enabled"] else f"DISABLED ({e.get('disabled_reason') or 'by you'})"
    types = ",".join(e["event_types"]) or "all events"
    return f"{e['id']}  {e['url']}  {types}  {state}"


@webhooks_app.command("create")
def webhooks_create(
    ctx: typer.Context, url: Annotated[str, typer.Argument(help="http(s) URL that receives signed POSTs.")],
    event: Annotated[list[str] | None, typer.Option("--event", "-e",
                                                    help="Webhook type to send (repeatable; default: all).")] = None,
    description: Annotated[str, typer.Option(help="A label.")] = "",
    disabled: Annotated[bool, typer.Option("--disabled", help="Register it without sending yet.")] = False,
    as_json: AsJson = False,
) -> None:
    """Register an endpoint; prints its id and its signing secret (shown once)."""
    created = _call(ctx, "POST", "/v1/webhooks", expect=(201,), json={
        "url": url, "event_types": event or [], "description": description, "enabled": not disabled})
    if as_json:
        _json(created)
        return
    err.print(f"endpoint {created['id']}; its signing secret (shown once):")
    out.print(created["secret"])


@webhooks_app.command("list")
def webhooks_list(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Your endpoints and their health."""
    endpoints = _call(ctx, "GET", "/v1/webhooks")
    if as_json:
        _json(endpoints)
        return
    for endpoint in endpoints:
        out.print(_endpoint_line(endpoint), soft_wrap=True)


@webhooks_app.command("show")
def webhooks_show(ctx: typer.Context, endpoint_id: Annotated[str, typer.Argument(help="Endpoint id or `request`.")],
                  as_json: AsJson = False) -> None:
    """One endpoint: settings, failures, why it was disabled, secrets in use."""
    endpoint = _call(ctx, "GET", f"/v1/webhooks/{endpoint_id}")
    if as_json:
        _json(endpoint)
        return
    out.print(_endpoint_line(endpoint), soft_wrap=True)
    out.print(f"failures in a row: {endpoint['consecutive_failures']}"
              + (f" since {endpoint['failing_since']}" if endpoint.get("failing_since") else ""))
    for secret in endpoint["secrets"]:
        out.print(f"secret made {secret['created_at']}"
                  + (f", signs until {secret['expires_at']}" if secret.get("expires_at") else " (current)"))


@webhooks_app.command("update")
def webhooks_update(
    ctx: typer.Context, endpoint_id: Annotated[str, typer.Argument(help="Endpoint id.")],
    url: Annotated[str | None, typer.Option(help="New URL.")] = None,
    event: Annotated[list[str] | None, typer.Option("--event", "-e", help="Webhook types (replaces the list).")] = None,
    enable: Annotated[bool | None, typer.Option("--enable/--disable", help="Send to it, or stop.")] = None,
    description: Annotated[str | None, typer.Option(help="New label.")] = None,
    as_json: AsJson = False,
) -> None:
    """Change an endpoint (enabling a disabled one clears its disabled reason)."""
    body: dict[str, Any] = {k: v for k, v in {"url": url, "event_types": event, "enabled": enable,
                                               "description": description}.items() if v is not None}
    updated = _call(ctx, "PATCH", f"/v1/webhooks/{endpoint_id}", json=body)
    _json(updated) if as_json else out.print(_endpoint_line(updated), soft_wrap=True)


@webhooks_app.command("delete")
def webhooks_delete(ctx: typer.Context, endpoint_id: Annotated[str, typer.Argument(help="Endpoint id.")]) -> None:
    """Remove an endpoint."""
    _call(ctx, "DELETE", f"/v1/webhooks/{endpoint_id}", expect=(204,))
    out.print(f"{endpoint_id} deleted")


@webhooks_app.command("rotate")
def webhooks_rotate(
    ctx: typer.Context, endpoint_id: Annotated[str, typer.Argument(help="Endpoint id, or `request` for the "
                                                                        "per-request callbacks' secret.")],
    overlap: Annotated[int, typer.Option(help="Seconds the old secret keeps signing too.")] = 86400,
    as_json: AsJson = False,
) -> None:
    """A new signing secret (printed once); the old one signs beside it for the overlap."""
    rotated = _call(ctx, "POST", f"/v1/webhooks/{endpoint_id}/rotate-secret", json={"overlap_s": overlap})
    if as_json:
        _json(rotated)
        return
    if rotated.get("previous_expires_at"):
        err.print(f"the previous secret signs too until {rotated['previous_expires_at']}")
    err.print("new signing secret (shown once):")
    out.print(rotated["secret"])


@webhooks_app.command("deliveries")
def webhooks_deliveries(
    ctx: typer.Context, endpoint_id: Annotated[str, typer.Argument(help="Endpoint id or `request`.")],
    status: Annotated[str | None, typer.Option(help="pending, succeeded or failed.")] = None,
    generation: Annotated[str | None, typer.Option(help="Only this generation's.")] = None,
    limit: Annotated[int, typer.Option(help="How many (1–100).")] = 20,
    as_json: AsJson = False,
) -> None:
    """Deliveries to an endpoint, newest first: status, attempts, last answer and latency."""
    params: dict[str, Any] = {"limit": limit}
    if status:
        params["status"] = status
    if generation:
        params["generation_id"] = generation
    page = _call(ctx, "GET", f"/v1/webhooks/{endpoint_id}/deliveries", params=params)
    if as_json:
        _json(page)
        return
    table = Table("delivery", "event", "generation", "status", "attempts", "last answer", "ms")
    for d in page["items"]:
        last = d["attempts"][-1] if d["attempts"] else {}
        answer = str(last.get("status_code") or last.get("error") or "—")
        table.add_row(d["id"], d["event_type"], d["generation_id"], d["status"], str(len(d["attempts"])), answer,
                      str(last.get("latency_ms", "")))
    out.print(table)


@webhooks_app.command("redeliver")
def webhooks_redeliver(
    ctx: typer.Context, endpoint_id: Annotated[str, typer.Argument(help="Endpoint id or `request`.")],
    delivery_id: Annotated[str, typer.Argument(help="Delivery id.")],
) -> None:
    """Send a finished delivery again (same webhook-id and body)."""
    again = _call(ctx, "POST", f"/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver", expect=(202,))
    out.print(f"{again['id']} queued again ({again['webhook_id']})")


# ------------------------------------------------------------------------------------------ costs, usage, delete

def estimate(
    ctx: typer.Context,
    brief: Annotated[str, typer.Argument(help="What the ad is about.")],
    duration: Annotated[int, typer.Option("--duration", "-d", help="Seconds: 15–60, a multiple of 5.")] = 30,
    aspect: Annotated[str, typer.Option("--aspect", "-a", help="9:16, 1:1 or 16:9.")] = "9:16",
    no_music: Annotated[bool, typer.Option("--no-music", help="Without a music bed.")] = False,
    max_cost: Annotated[float | None, typer.Option(help="Check against this limit, USD.")] = None,
    as_json: AsJson = False,
) -> None:
    """What a generation would cost, per stage and model, and roughly how long it takes (nothing is created)."""
    body: dict[str, Any] = {"brief": brief, "duration_s": duration, "aspect": aspect, "music": not no_music}
    if max_cost is not None:
        body["max_cost_usd"] = max_cost
    found = _call(ctx, "POST", "/v1/generations/estimate", json=body)
    if as_json:
        _json(found)
        return
    table = Table("stage", "model", "calls", "units", "USD")
    for item in found["items"]:
        table.add_row(item["stage"], item["model"], str(item["calls"]), f"{item['units']:g} {item['unit']}",
                      f"{item['usd']:.4f}")
    out.print(table)
    out.print(f"expected {found['total_usd']:.4f} USD (any plan: {found['low_usd']:.4f}–{found['high_usd']:.4f}), "
              f"{found['beats']} beats, {found['chunks']} chunks, about {found['expected_wall_s'] / 60:.1f} min")
    if found.get("within_max_cost") is False:
        err.print(f"[red]over the limit:[/] a generation with max_cost_usd {max_cost:g} would be refused")
        raise typer.Exit(1)


def usage(
    ctx: typer.Context,
    start: Annotated[str | None, typer.Option("--from", help="First UTC day, YYYY-MM-DD (default: 29 days "
                                                             "ago).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last UTC day, YYYY-MM-DD (default: today).")] = None,
    as_json: AsJson = False,
) -> None:
    """Your usage: generations by outcome, seconds of video, spend by stage and model, per day."""
    params = {k: v for k, v in {"from": start, "to": end}.items() if v}
    report = _call(ctx, "GET", "/v1/usage", params=params)
    if as_json:
        _json(report)
        return
    totals = report["totals"]
    outcomes = ", ".join(f"{n} {status}" for status, n in sorted(totals["by_outcome"].items())) or "none"
    out.print(f"{report['from'][:10]} … {report['to'][:10]} (exclusive): {totals['generations']} generations "
              f"({outcomes}), {totals['video_seconds']:g} s of video, {totals['cost_usd']:.4f} USD")
    for name in ("cost_by_stage", "cost_by_model"):
        parts = ", ".join(f"{k} {v:.4f}" for k, v in sorted(totals[name].items()))
        if parts:
            out.print(f"  {name.removeprefix('cost_').replace('_', ' ')}: {parts}")
    table = Table("day", "generations", "completed", "video s", "USD")
    for day in report["days"]:
        table.add_row(day["date"], str(day["generations"]), str(day["by_outcome"].get("completed", 0)),
                      f"{day['video_seconds']:g}", f"{day['cost_usd']:.4f}")
    out.print(table)


def delete(
    ctx: typer.Context,
    generation_id: Annotated[str, typer.Argument(help="Generation id.")],
    cancel: Annotated[bool, typer.Option("--cancel", help="Cancel it first if it is still running.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a generation for good: its videos, frames, chunks, events and brief."""
    if not yes and not typer.confirm(f"delete {generation_id} and every file it made?"):
        raise typer.Exit(1)
    params = {"cancel": "true"} if cancel else {}
    gone = _call(ctx, "DELETE", f"/v1/generations/{generation_id}", params=params)
    out.print(f"{generation_id} deleted ({gone['objects_deleted']} files"
              + (", cancelled first" if gone["cancelled"] else "") + ")")


def install(app: typer.Typer) -> None:
    """Add these commands to the `admint` app."""
    app.add_typer(webhooks_app, name="webhooks")
    app.command()(estimate)
    app.command()(usage)
    app.command()(delete)
