"""``geo-heart serve``: the dispatch lookup HTTP service and call-taker page (uvicorn)."""

from __future__ import annotations

import gc

import click

from geo_heart.cli.options import pass_ctx


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Only loopback by default; beyond loopback --token is required.",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="TCP port."
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
    help="uvicorn log level.",
)
@click.option("--no-access-log", is_flag=True, help="Do not log every request.")
@click.option(
    "--full-access-log",
    is_flag=True,
    help="Log query strings and client addresses (redacted by default: they hold addresses).",
)
@click.option(
    "--token",
    envvar="GEO_HEART_TOKEN",
    metavar="SECRET",
    help="Require 'Authorization: Bearer SECRET' on every route but /health. Env: GEO_HEART_TOKEN.",
)
@click.option(
    "--insecure-no-token",
    is_flag=True,
    help="Allow listening beyond loopback without --token (call locations are sensitive: "
    "only behind a proxy that authenticates).",
)
@click.option(
    "--max-body-bytes",
    type=click.IntRange(1),
    default=1_000_000,
    show_default=True,
    help="Largest request body; larger ones get 413 before being read.",
)
@click.option(
    "--limit-concurrency",
    type=click.IntRange(1),
    default=200,
    show_default=True,
    help="Most requests handled at once; more wait up to 2 s, then get a JSON 503 with "
    "Retry-After (idle keep-alive connections do not count).",
)
@click.option(
    "--max-connections-per-client",
    type=click.IntRange(1),
    default=1024,
    show_default=True,
    help="Most open connections from one client address; more get a JSON 503 and are closed.",
)
@click.option(
    "--timeout-keep-alive",
    type=click.IntRange(1),
    default=5,
    show_default=True,
    help="Seconds an idle keep-alive connection stays open.",
)
@click.option(
    "--header-timeout",
    type=click.FloatRange(0.1),
    default=5.0,
    show_default=True,
    help="Seconds a client may take to send a request's headers (slow clients are closed).",
)
@click.option(
    "--body-timeout",
    type=click.FloatRange(0.1, 3600),
    default=10.0,
    show_default=True,
    help="Seconds a client may take to send a request's body (then 408); a request takes a "
    "concurrency slot only once its body is in.",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="Also answer requests whose Host is NAME (repeatable; '*' for any). Always answered: "
    "localhost, 127.0.0.1, [::1] and the --host address; others get 400 (DNS rebinding).",
)
@pass_ctx
def serve(
    obj,
    host: str,
    port: int,
    log_level: str,
    no_access_log: bool,
    full_access_log: bool,
    token: str | None,
    insecure_no_token: bool,
    max_body_bytes: int,
    limit_concurrency: int,
    max_connections_per_client: int,
    timeout_keep_alive: int,
    header_timeout: float,
    body_timeout: float,
    allowed_hosts: tuple[str, ...],
) -> None:
    """Run the dispatch lookup service (JSON API + call-taker page at /).

    The beat index, call-type table and geocoder are loaded once, before the port opens.
    Bodies over --max-body-bytes get 413 and bodies slower than --body-timeout 408; clients
    slower than --header-timeout to send headers are closed; requests whose Host is not
    loopback, --host or an --allowed-host get 400; at most --limit-concurrency requests at once (more wait briefly, then get a JSON
    503 with Retry-After) and --max-connections-per-client connections per client address.
    Access logs redact query strings and client addresses unless --full-access-log. Listening
    beyond loopback needs --token (or GEO_HEART_TOKEN), which every request must then carry as a
    bearer token; --insecure-no-token overrides the refusal (behind an authenticating proxy).

    \b
    Examples:
      geo-heart serve
      geo-heart serve --port 9000
      curl 'http://127.0.0.1:8080/lookup?lon=-78.9016&lat=35.9960&call_type=trespass'
    """
    import uvicorn

    from geo_heart.service.app import create_app
    from geo_heart.service.hardening import (
        MAX_CONNECTIONS,
        allowed_hosts_for,
        install_access_log_redaction,
        is_loopback,
        raise_open_files_limit,
        server_options,
    )

    if not is_loopback(host) and not token:
        if not insecure_no_token:
            raise click.UsageError(
                f"refusing to listen on {host} without --token: the service answers with 911 "
                "call locations. Give --token SECRET (or GEO_HEART_TOKEN), listen on 127.0.0.1, "
                "or add --insecure-no-token behind a proxy that authenticates"
            )
        click.echo(
            f"Warning: listening on {host} with NO authentication (--insecure-no-token); "
            "call locations are sensitive. Prefer a reverse proxy with TLS.",
            err=True,
        )
    app = create_app(
        obj.workspace,
        max_body_bytes=max_body_bytes,
        token=token or None,
        limit_concurrency=limit_concurrency,
        body_timeout_s=body_timeout,
        allowed_hosts=allowed_hosts_for(host, allowed_hosts),
    )
    raise_open_files_limit(MAX_CONNECTIONS + 256)
    # Everything loaded so far (indexes, tables) lives as long as the process: move it out of the
    # garbage collector's reach, so that full collections (70-130 ms over ~170k index objects)
    # do not stall requests.
    gc.collect()
    gc.freeze()
    click.echo(f"geo-heart: serving {obj.workspace.config.name} on http://{host}:{port}/", err=True)
    if not full_access_log:
        install_access_log_redaction()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=not no_access_log,
        workers=1,
        **server_options(
            header_timeout_s=header_timeout,
            keep_alive_s=timeout_keep_alive,
            max_connections_per_client=max_connections_per_client,
        ),
    )
