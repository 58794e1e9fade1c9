"""The `admint` command: generate an ad and watch it being made, inspect, list, download, manage keys; webhooks,
estimates, usage and deletion (integrations.py).

Exit codes: 0 done, 1 the generation failed or was cancelled, 2 usage error, 3 the API refused the request,
4 the gateway could not be reached.
"""

import json
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from admint.cli import integrations
from admint.cli.batch import finished_keys, read_lines, run_batch
from admint.cli.feeds import follow_feed
from admint.cli.groups import GroupProgress, MemberBars, member_label, ranked_table
from admint.cli.progress import GenerationProgress
from admint.cli.view import ProgressBars, generation_table, list_table
from admint.client import DEFAULT_API_URL, ApiClient, ApiError, Unreachable

app = typer.Typer(name="admint", help="admint: brief in, finished video ad out.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
keys_app = typer.Typer(help="API keys (needs the admin token).", no_args_is_help=True)
assets_app = typer.Typer(help="Product images.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(assets_app, name="assets")

EXIT_FAILED, EXIT_API, EXIT_UNREACHABLE = 1, 3, 4


@dataclass
class Context:
    api_url: str = DEFAULT_API_URL
    api_key: str | None = None
    admin_token: str | None = None
    transport: httpx.BaseTransport | None = None
    """Tests hand in an httpx transport; real use leaves it None."""

    def client(self, admin: bool = False) -> ApiClient:
        secret = self.admin_token if admin else self.api_key
        if not secret:
            what = "an admin token (--admin-token or ADMINT_ADMIN_TOKEN)" if admin else \
                "an API key (--api-key or ADMINT_API_KEY)"
            err.print(f"[red]error:[/] this command needs {what}")
            raise typer.Exit(2)
        return ApiClient(self.api_url, secret, transport=self.transport)


out = Console()
err = Console(stderr=True)


@app.callback()
def main_options(
    ctx: typer.Context,
    api_url: Annotated[str, typer.Option(envvar="ADMINT_API_URL", help="Gateway base URL.")] = DEFAULT_API_URL,
    api_key: Annotated[str | None, typer.Option(envvar="ADMINT_API_KEY", help="Your API key.",
                                                show_default=False)] = None,
    admin_token: Annotated[str | None, typer.Option(envvar="ADMINT_ADMIN_TOKEN", help="Admin token (keys commands).",
                                                    show_default=False)] = None,
) -> None:
    given = ctx.obj if isinstance(ctx.obj, Context) else Context()
    ctx.obj = Context(api_url=api_url, api_key=api_key, admin_token=admin_token, transport=given.transport)


def _fail(exc: Exception) -> typer.Exit:
    if isinstance(exc, ApiError):
        err.print(f"[red]error:[/] {exc.title} ({exc.status})" + (f": {exc.detail}" if exc.detail else ""),
                  soft_wrap=True)
        if exc.retry_after:
            err.print(f"retry after {exc.retry_after} s")
        return typer.Exit(EXIT_API)
    err.print(f"[red]error:[/] {exc}", soft_wrap=True)
    return typer.Exit(EXIT_UNREACHABLE)


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, default=str) + "\n")
    sys.stdout.flush()


def _watch(client: ApiClient, generation_id: str, as_json: bool) -> GenerationProgress:
    state = GenerationProgress()
    if as_json:
        for event in client.follow(generation_id):
            state.apply(event.type, event.data)
            _print_json({"seq": event.seq, "type": event.type, "event": event.data})
        return state
    with ProgressBars(err) as bars:
        for event in client.follow(generation_id):
            state.apply(event.type, event.data)
            bars.update(state)
    return state


def _finish(client: ApiClient, generation_id: str, state: GenerationProgress, out_path: Path | None,
            rendition: str | None, as_json: bool) -> None:
    if state.outcome != "completed":
        err.print(f"[red]generation {generation_id} {state.outcome}:[/] {state.reason}", soft_wrap=True)
        if as_json:
            _print_json({"type": "admint.cli.result", "generation_id": generation_id, "outcome": state.outcome,
                         "reason": state.reason})
        raise typer.Exit(EXIT_FAILED)
    if out_path is None:
        return
    path = client.download(generation_id, out_path, rendition)
    if as_json:
        _print_json({"type": "admint.cli.result", "generation_id": generation_id, "outcome": "completed",
                     "path": str(path.resolve())})
    else:
        out.print(str(path.resolve()))


@app.command()
def generate(
    ctx: typer.Context,
    brief: Annotated[str, typer.Argument(help="What the ad is about: product, audience, tone.")],
    duration: Annotated[int, typer.Option("--duration", "-d", help="Seconds: 15–60, a multiple of 5.")] = 30,
    aspect: Annotated[str, typer.Option("--aspect", "-a", help="9:16, 1:1 or 16:9.")] = "9:16",
    rendition: Annotated[list[str] | None, typer.Option("--rendition", "-r",
                                                        help="Extra aspect to export (repeatable).")] = None,
    framework: Annotated[str | None, typer.Option(help="AIDA, PAS or FAB (default: the planner chooses).")] = None,
    creativity: Annotated[float | None, typer.Option(help="0–1 (default 0.5).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for reproducible output.")] = None,
    product: Annotated[Path | None, typer.Option(help="Product image (jpg/png/webp) to feature.", exists=True,
                                                 dir_okay=False, readable=True)] = None,
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Where to write the MP4.")] = Path("ad.mp4"),
    no_download: Annotated[bool, typer.Option("--no-download", help="Do not download the result.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print events as JSON lines instead of bars.")] = False,
    idempotency_key: Annotated[str | None, typer.Option(help="Retry-safe key (default: a fresh one).")] = None,
    max_cost: Annotated[float | None, typer.Option(help="Spend limit, USD (refused up front when estimated "
                                                        "higher; stopped before crossing it).")] = None,
    webhook_url: Annotated[str | None, typer.Option(help="Also send this generation's webhooks here.")] = None,
    quality_threshold: Annotated[float | None, typer.Option(help="Re-render chunks scoring under it.")] = None,
) -> None:
    """Ask for an ad, watch it being made, download it, print its path."""
    with ctx.obj.client() as client:
        try:
            body: dict[str, Any] = {"brief": brief, "duration_s": duration, "aspect": aspect,
                                    "renditions": rendition or [], "framework": framework}
            if creativity is not None:
                body["creativity"] = creativity
            if seed is not None:
                body["seed"] = seed
            if max_cost is not None:
                body["max_cost_usd"] = max_cost
            if webhook_url is not None:
                body["webhook_url"] = webhook_url
            if quality_threshold is not None:
                body["quality_threshold"] = quality_threshold
            if product is not None:
                asset = client.upload_asset(product)
                body["product_asset_id"] = asset.id
                if not as_json:
                    err.print(f"uploaded {product.name} as asset {asset.id}")
            accepted = client.create_generation(body, idempotency_key or f"cli-{uuid.uuid4()}")
            gid = accepted.id
            if not as_json:
                err.print(f"generation [bold]{gid}[/] accepted")
            state = _watch(client, gid, as_json)
            _finish(client, gid, state, None if no_download else out_path, None, as_json)
        except (ApiError, Unreachable) as exc:
            raise _fail(exc) from exc
        except KeyboardInterrupt:
            err.print("\nstopped watching; the generation goes on (admint status / admint watch)")
            raise typer.Exit(130) from None


@app.command()
def watch(
    ctx: typer.Context,
    generation_id: Annotated[str, typer.Argument(help="Generation id.")],
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="Download the result here when done.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print events as JSON lines.")] = False,
) -> None:
    """Follow a generation's progress (from its first event) until it ends."""
    with ctx.obj.client() as client:
        try:
            state = _watch(client, generation_id, as_json)
            _finish(client, generation_id, state, out_path, None, as_json)
        except (ApiError, Unreachable) as exc:
            raise _fail(exc) from exc


@app.command()
def status(
    ctx: typer.Context,
    generation_id: Annotated[str, typer.Argument(help="Generation id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole document as JSON.")] = False,
) -> None:
    """Show one generation: status, stage, plan, counts, cost, quality scores, error."""
    with ctx.obj.client() as client:
        try:
            view = client.generation(generation_id).model_dump(mode="json")
        except (ApiError, Unreachable) as exc:
            raise _fail(exc) from exc
    if as_json:
        _print_json(view)
    else:
        out.print(generation_table(view))


@app.command("list")
def list_generations(
    ctx: typer.Context,
    status_filter: Annotated[str | None, typer.Option("--status", help="Only this status.")] = None,
    limit: Annotated[int, typer.Option(help="How many (1–100).")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Your generations, newest first."""
    with ctx.obj.client() as client:
        try:
            page = client.generations(status_filter, limit).model_dump(mode="json")
        except (ApiError, Unreachable) as exc:
            raise _fail(exc) from exc
    if as_json:
        _print_json(page)
    else:
        out.print(list_table(page["items"]))


@app.command()
def download(
    ctx: typer.Context,
    generation_id: Annotated[str, typer.Argument(help="Generation id.")],
    rendition: Annotated[str | None, typer.Option(help="Aspect, e.g. 1:1 (default: the master's).")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="Target file.")] = None,
) -> None:
    """Download a finished video and print its path."""
    target = out_path or Path(f"{generation_id}{'-' + rendition.replace(':', 'x') if rendition else ''}.mp4")
    with ctx.obj.client() as client:
        try:
            path = client.download(generation_id, target, rendition)
        except (ApiError, Unreachable) as exc:
            raise _fail(exc) from exc
    out.print(str(path.resolve()))


@app.command()
def cancel(ctx: typer.Context, generation_id: Annotated[str, typer.Argument(help="Generation id.")]) -> None:
    """Cancel a running generation."""
    with ctx.obj.client() as client:
        try:
            client.cancel(generation_id)
        except (ApiError, Unreachable) as exc:
            raise _fail(exc) from exc
    out.print(f"{generation_id} cancelled")


@app.command()
def retry(ctx: typer.Context, generation_id: Annotated[str, typer.Argument(help="Generation id.")]) -> None:
    """Re-run a failed generation's failed stage, reusing everything already stored."""
    with ctx.obj.client() as client:
        try:
            answer = client.retry(generation_id)
        except (ApiError, Unreachable) as exc:
            raise _fail(exc) from exc
    out.print(f"{generation_id} retrying ({answer.status}); follow it with `admint watch {generation_id}`")


@app.command()
def variants(
    ctx: typer.Context,
    brief: Annotated[str, typer.Argument(help="What the ad is about: product, audience, tone.")],
    count: Annotated[int, typer.Option("-n", "--count", help="How many variants (2–8): by framework, then seed.")] = 3,
    variant: Annotated[list[str] | None, typer.Option(
        "--variant", "-v", help='One member\'s overrides as JSON, e.g. \'{"framework": "PAS"}\' (repeatable; '
                                'replaces -n).')] = None,
    duration: Annotated[int, typer.Option("--duration", "-d", help="Seconds: 15–60, a multiple of 5.")] = 30,
    aspect: Annotated[str, typer.Option("--aspect", "-a", help="9:16, 1:1 or 16:9.")] = "9:16",
    seed: Annotated[int | None, typer.Option(help="Seed shared by the members (unless a member changes it).")] = None,
    quality_threshold: Annotated[float | None, typer.Option(help="Re-render chunks scoring under it.")] = None,
    winner: Annotated[bool, typer.Option("--pick-best", help="Record the best-scored member as the winner.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print events and the ranked group as JSON lines.")] = False,
    idempotency_key: Annotated[str | None, typer.Option(help="Retry-safe key (default: a fresh one).")] = None,
) -> None:
    """A/B variants of one ad: live bars per member, then the members ranked by quality score."""
    body: dict[str, Any] = {"brief": brief, "duration_s": duration, "aspect": aspect}
    if seed is not None:
        body["seed"] = seed
    if quality_threshold is not None:
        body["quality_threshold"] = quality_threshold
    try:
        body["variants"] = [json.loads(v) for v in variant] if variant else count
    except json.JSONDecodeError as exc:
        err.print(f"[red]error:[/] --variant is not JSON: {exc.msg}")
        raise typer.Exit(2) from None
    with ctx.obj.client() as client:
        try:
            group = client.create_group(body, idempotency_key)
            overrides = body["variants"] if isinstance(body["variants"], list) else []
            labels = {m["id"]: member_label(overrides[i]) if i < len(overrides) else ""
                      for i, m in enumerate(group["members"])}
            state = GroupProgress.of(group, labels)
            path = f"/v1/generation-groups/{group['id']}/events"
            if as_json:
                for event in follow_feed(client, path):
                    state.apply(event.type, event.data)
                    _print_json({"seq": event.seq, "type": event.type, "event": event.data})
            else:
                err.print(f"group [bold]{group['id']}[/] accepted: {len(group['members'])} members")
                with MemberBars(err, state) as bars:
                    for event in follow_feed(client, path):
                        state.apply(event.type, event.data)
                        bars.update()
            view = client.group(group["id"])
            best = next((m for m in view["members"] if m.get("rank") == 1), None)
            if winner and best is not None and best["status"] == "completed":
                view = client.pick_winner(group["id"], best["generation_id"])
        except (ApiError, Unreachable) as exc:
            raise _fail(exc) from exc
    if as_json:
        _print_json({"type": "admint.cli.group", "group": view})
    else:
        out.print(ranked_table(view))
    if not any(m["status"] == "completed" for m in view["members"]):
        raise typer.Exit(EXIT_FAILED)


@app.command()
def batch(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="JSON lines: one request body per line (with `variants`: a group).")],
    concurrency: Annotated[int, typer.Option(help="Lines in flight at once.", min=1, max=16)] = 2,
    results: Annotated[Path | None, typer.Option("--out", "-o", help="Append each finished line here; lines "
                                                                      "already finished there are skipped.")] = None,
    poll_s: Annotated[float, typer.Option("--poll", help="Seconds between status checks.", min=0.1)] = 2.0,
) -> None:
    """Many generations or groups from a file, a few at a time; one JSON line out per input line; resumable."""
    parsed = list(read_lines(path))
    done = finished_keys(results)
    todo = [line for line in parsed if not isinstance(line, tuple) and line.key not in done]
    skipped = sum(1 for line in parsed if not isinstance(line, tuple) and line.key in done)
    bad = [line for line in parsed if isinstance(line, tuple)]
    for number, reason in bad:
        _print_json({"line": number, "status": "invalid", "error": reason})
    if skipped:
        err.print(f"skipping {skipped} line(s) already finished in {results}")
    sink = results.open("a") if results is not None else None
    ctx.obj.client().close()  # fail fast (exit 2) when there is no API key

    def emit(record: dict[str, Any]) -> None:
        _print_json(record)
        if sink is not None:
            sink.write(json.dumps(record) + "\n")
            sink.flush()

    try:
        finished = run_batch(ctx.obj.client, todo, concurrency=concurrency, poll_s=poll_s, emit=emit)
    finally:
        if sink is not None:
            sink.close()
    if bad or any(r["status"] not in ("completed",) for r in finished):
        raise typer.Exit(EXIT_FAILED)


@assets_app.command("upload")
def assets_upload(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="jpg/png/webp ≤ 10 MB.")],
) -> None:
    """Upload a product image; prints its id (the API's product_asset_id)."""
    with ctx.obj.client() as client:
        try:
            asset = client.upload_asset(path)
        except (ApiError, Unreachable) as exc:
            raise _fail(exc) from exc
    out.print(asset.id)


@assets_app.command("list")
def assets_list(ctx: typer.Context) -> None:
    """Your product images, newest first."""
    with ctx.obj.client() as client:
        try:
            items = client.assets().items
        except (ApiError, Unreachable) as exc:
            raise _fail(exc) from exc
    for item in items:
        out.print(f"{item.id}  {item.format:<5} {item.width}×{item.height}  {item.filename}")


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="Owner the key acts for (lowercase, digits, - and _).")],
    name: Annotated[str, typer.Option(help="A label.")] = "",
    max_active: Annotated[int | None, typer.Option(help="Concurrent generations allowed.")] = None,
    rpm: Annotated[int | None, typer.Option(help="Requests per minute allowed.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create an API key; the key is printed once (only its hash is stored)."""
    with ctx.obj.client(admin=True) as client:
        try:
            created = client.create_key(owner, name, max_active, rpm).model_dump(mode="json")
        except (ApiError, Unreachable) as exc:
            raise _fail(exc) from exc
    if as_json:
        _print_json(created)
    else:
        err.print(f"key {created['id']} for owner {created['owner']} (shown once):")
        out.print(created["api_key"])


@keys_app.command("list")
def keys_list(
    ctx: typer.Context, owner: Annotated[str | None, typer.Option(help="Only this owner's keys.")] = None,
) -> None:
    """API keys (ids and prefixes, never the keys)."""
    with ctx.obj.client(admin=True) as client:
        try:
            keys = client.keys(owner)
        except (ApiError, Unreachable) as exc:
            raise _fail(exc) from exc
    for key in keys:
        state = "revoked" if key.revoked_at else "active"
        out.print(f"{key.id}  {key.prefix}…  {key.owner:<16} {state:<8} {key.name}")


@keys_app.command("revoke")
def keys_revoke(ctx: typer.Context, key_id: Annotated[str, typer.Argument(help="Key id.")]) -> None:
    """Revoke an API key."""
    with ctx.obj.client(admin=True) as client:
        try:
            client.revoke_key(key_id)
        except (ApiError, Unreachable) as exc:
            raise _fail(exc) from exc
    out.print(f"{key_id} revoked")



integrations.install(app)
