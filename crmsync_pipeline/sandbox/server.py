"""Serving emulators over HTTP on 127.0.0.1: in the foreground for the CLI, or in a thread for tests."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from .emulator import Emulator

HOST = "127.0.0.1"  # never another interface: the sandbox holds fake but realistic personal data


@dataclass
class Served:
    emulator: Emulator
    runner: web.AppRunner
    port: int

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


async def start_emulator(emulator: Emulator, port: int) -> Served:
    runner = web.AppRunner(emulator.build_app(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, HOST, port, reuse_address=True)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return Served(emulator, runner, bound)


async def stop_emulator(served: Served) -> None:
    await served.runner.cleanup()
    served.emulator.store.close()


def serve_forever(emulators: list[tuple[Emulator, int]], on_ready: Callable[[list[Served]], None]) -> None:
    """Serve until SIGINT or SIGTERM, then commit and close every store."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        served = [await start_emulator(e, p) for e, p in emulators]
        on_ready(served)
        await stop.wait()
        for s in served:
            await stop_emulator(s)

    asyncio.run(main())


class EmulatorThread:
    """An emulator served from a background thread on a free port (tests, benchmarks)."""

    def __init__(self, emulator: Emulator, port: int = 0):
        self.emulator = emulator
        self._port = port
        self._loop = asyncio.new_event_loop()
        self._served: Served | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name=emulator.name)

    def start(self) -> EmulatorThread:
        self._thread.start()
        self._served = asyncio.run_coroutine_threadsafe(
            start_emulator(self.emulator, self._port), self._loop
        ).result(timeout=30)
        return self

    @property
    def url(self) -> str:
        assert self._served is not None
        return self._served.url

    @property
    def port(self) -> int:
        assert self._served is not None
        return self._served.port

    def call(self, fn: Callable[[], object]) -> object:
        """Run `fn` on the server's loop, so test setup never races a request in flight."""

        async def run() -> object:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=60)

    def stop(self) -> None:
        if self._served is not None:
            asyncio.run_coroutine_threadsafe(stop_emulator(self._served), self._loop).result(timeout=30)
            self._served = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
