"""The proxy: PostgreSQL startup negotiation (TLS, cold start), then a byte pump with latency."""
from __future__ import annotations

import asyncio
import itertools
import logging
import ssl
import time

from . import wire
from .compute import Compute
from .settings import Settings

log = logging.getLogger("db_proxy")
CHUNK = 64 * 1024
STARTUP_TIMEOUT_S = 60  # PostgreSQL's authentication_timeout: a silent client is dropped
MAX_NEGOTIATIONS = 3  # SSLRequest and GSSENCRequest may each precede the startup message once
INSECURE = ("connection is insecure (try using `sslmode=require`)",
            "SSL is required by this server, as on Neon")
WAKING = "the compute is starting up (Neon scale-to-zero); retry in a moment"
SUSPENDED = "terminating connection due to administrator command"
REQUESTS = (b"Q", b"S", b"F")  # simple query, Sync, function call: each gets one ReadyForQuery


class Refused(Exception):
    """The proxy answers a client with a PostgreSQL error and closes the connection."""

    def __init__(self, outcome: str, sqlstate: str, message: str, detail: str = ""):
        super().__init__(message)
        self.outcome, self.packet = outcome, wire.error_response(sqlstate, message, detail)


class Session:
    """One client connection from accept to close; logs one line when it ends."""

    def __init__(self, proxy: "Proxy", reader, writer, number: int):
        self.proxy, self.reader, self.writer, self.number = proxy, reader, writer, number
        self.peer = "%s:%s" % writer.get_extra_info("peername")[:2]
        self.tls = False
        self.outcome = "probe"  # a TCP connect that closes before sending a byte
        # Neon keeps a compute awake while a query runs or a transaction is open. Each simple query,
        # Sync or function call is answered by one ReadyForQuery, which carries the transaction
        # status; the startup packet is answered by one too, hence outstanding starts at 1.
        self.client_scan, self.server_scan = wire.MessageScanner(), wire.MessageScanner()
        self.outstanding, self.in_transaction = 1, False
        self.bytes_up = self.bytes_down = 0
        self.pumps: list[asyncio.Task] = []

    @property
    def busy(self) -> bool:
        """Whether the session has a query running or a transaction open."""
        return self.outstanding > 0 or self.in_transaction

    async def run(self) -> None:
        started = time.monotonic()
        upstream = None
        try:
            packet = await asyncio.wait_for(self.negotiate(), STARTUP_TIMEOUT_S)
            if packet is not None:
                upstream = await self.open_upstream(packet)
                if upstream is not None:
                    await self.relay(*upstream)
        except Refused as refusal:
            self.outcome = refusal.outcome
            await self.send_and_close(refusal.packet)
        except (wire.ProtocolError, ssl.SSLError, OSError, asyncio.IncompleteReadError,
                asyncio.TimeoutError) as exc:
            self.outcome = f"error ({type(exc).__name__}: {exc})"
        finally:
            if upstream is not None:
                upstream[1].close()
            self.writer.close()
            log.info("conn #%d from %s tls=%s %s up=%dB down=%dB %.0fms", self.number, self.peer,
                     "on" if self.tls else "off", self.outcome, self.bytes_up, self.bytes_down,
                     (time.monotonic() - started) * 1000)

    async def negotiate(self) -> wire.StartupPacket | None:
        """Answer SSL/GSSENC requests until the startup message (or cancel request) arrives."""
        settings = self.proxy.settings
        for _ in range(MAX_NEGOTIATIONS):
            packet = await wire.read_startup(self.reader)
            if packet is None or packet.kind == "cancel":
                return packet
            if packet.kind == "startup":
                if settings.tls == "require" and not self.tls:
                    raise Refused("refused: no TLS", "28000", *INSECURE)
                await self.wait_for_compute()
                return packet
            if packet.kind == "ssl" and settings.tls == "require" and not self.tls:
                if getattr(self.reader, "_buffer", b""):  # bytes sent before our answer: refuse
                    raise wire.ProtocolError("data received before the TLS handshake")
                self.writer.write(b"S")
                await self.writer.start_tls(self.proxy.ssl_context)
                self.tls = True
            else:  # GSSAPI encryption is never offered; SSL only when TLS is on
                self.writer.write(b"N")
                await self.writer.drain()
        raise wire.ProtocolError("too many encryption requests")

    async def wait_for_compute(self) -> None:
        """Refuse (or hold, in delay mode) a new session while the compute wakes up."""
        compute = self.proxy.compute
        for _ in range(3):
            wait = compute.admit()
            if not wait:
                return
            if self.proxy.settings.cold_start_mode == "refuse":
                raise Refused(f"refused: cold start ({wait * 1000:.0f}ms left)", "57P03", WAKING)
            await asyncio.sleep(wait)
        raise Refused("refused: cold start", "57P03", WAKING)

    async def open_upstream(self, packet: wire.StartupPacket):
        """Connect to the real server and pass it the startup packet (cancel requests end here)."""
        host, port = self.proxy.settings.upstream
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError as exc:
            raise Refused("refused: upstream down", "08006",
                          f"db-proxy could not reach the database at {host}:{port}: {exc}") from None
        writer.write(packet.raw)
        await writer.drain()
        if packet.kind == "cancel":
            self.outcome = "cancel request forwarded"
            writer.close()
            return None
        return reader, writer

    async def relay(self, up_reader, up_writer) -> None:
        """Pump bytes both ways until either side closes (or the compute suspends)."""
        self.outcome = "proxied"
        self.proxy.sessions.add(self)
        self.pumps = [asyncio.create_task(self.pump_up(up_writer)),
                      asyncio.create_task(self.pump_down(up_reader))]
        try:
            done, _ = await asyncio.wait(self.pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.proxy.sessions.discard(self)
            for task in self.pumps:
                task.cancel()
        failures = [t.exception() for t in done if not t.cancelled() and t.exception()]
        if failures:  # a reset on either side ends the session like a close
            self.outcome = f"proxied, ended by {type(failures[0]).__name__}"

    async def pump_up(self, up_writer) -> None:
        while data := await self.reader.read(CHUNK):
            self.proxy.compute.touch()
            self.bytes_up += len(data)
            self.outstanding += sum(kind in REQUESTS for kind, _ in self.client_scan.feed(data))
            up_writer.write(data)
            await up_writer.drain()

    async def pump_down(self, up_reader) -> None:
        delay = self.proxy.settings.latency_ms / 1000
        queue: asyncio.Queue = asyncio.Queue(maxsize=64)  # bounded: backpressure on big results
        sender = asyncio.create_task(self.deliver(queue)) if delay else None
        try:
            while data := await up_reader.read(CHUNK):
                self.proxy.compute.touch()
                for kind, status in self.server_scan.feed(data):
                    if kind == b"Z":
                        self.outstanding = max(0, self.outstanding - 1)
                        self.in_transaction = status in (b"T", b"E")
                self.bytes_down += len(data)
                if sender is None:
                    await self.write(data)
                else:
                    await queue.put((time.monotonic() + delay, data))
            if sender is not None:
                await queue.put((0.0, b""))
                await sender
        finally:
            if sender is not None:
                sender.cancel()

    async def deliver(self, queue: asyncio.Queue) -> None:
        """Hand each server chunk to the client `latency` after it arrived (order kept)."""
        due, data = await queue.get()
        while data:  # an empty chunk marks the end of the stream
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            await self.write(data)
            due, data = await queue.get()

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    def suspend(self) -> None:
        """The compute went to sleep: end this session as PostgreSQL's shutdown would."""
        self.outcome = "closed: compute suspended"
        for task in self.pumps:
            task.cancel()
        self.writer.write(wire.error_response("57P01", SUSPENDED))

    async def send_and_close(self, packet: bytes) -> None:
        try:
            await self.write(packet)
        except (OSError, ssl.SSLError):
            pass  # the client is gone: nothing more to tell it


class Proxy:
    """Accepts clients on settings.listen and relays them to settings.upstream."""

    def __init__(self, settings: Settings, ssl_context: ssl.SSLContext | None = None):
        self.settings, self.ssl_context = settings, ssl_context
        self.compute = Compute(settings.idle_s, settings.cold_start_ms / 1000)
        self.sessions: set[Session] = set()
        self._numbers = itertools.count(1)
        self.server: asyncio.base_events.Server | None = None
        self._watcher: asyncio.Task | None = None

    async def start(self) -> "Proxy":
        host, port = self.settings.listen
        self.server = await asyncio.start_server(self._accept, host, port)
        if self.settings.scale_to_zero:
            self._watcher = asyncio.create_task(self._watch_idle())
        return self

    async def stop(self) -> None:
        """Stop accepting, end every open session and the idle watcher."""
        self.server.close()
        if self._watcher is not None:
            self._watcher.cancel()
        for session in list(self.sessions):
            session.writer.close()
        await self.server.wait_closed()

    @property
    def port(self) -> int:
        return self.server.sockets[0].getsockname()[1]

    async def _accept(self, reader, writer) -> None:
        await Session(self, reader, writer, next(self._numbers)).run()

    async def _watch_idle(self) -> None:
        """Suspend the compute once it has been idle for idle_s (checked a few times a period)."""
        tick = min(1.0, self.settings.idle_s / 5)
        while self.server.is_serving():
            await asyncio.sleep(tick)
            busy = any(session.busy for session in self.sessions)
            if self.compute.should_suspend(busy):
                self.compute.suspend()
                log.info("compute suspended after %.1fs idle; closing %d session(s)",
                         self.settings.idle_s, len(self.sessions))
                for session in list(self.sessions):
                    session.suspend()
