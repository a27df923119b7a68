"""Function instances as Lambda runs them: one process per execution environment.

Each function of the template gets a :class:`FunctionInstances` pool. An invocation takes an idle
instance of that function (the one used last, so warm state is reused) or, when every instance
is busy, starts another, up to ``max_instances`` (``LOCAL_FUNCTION_CONCURRENCY``); beyond that it
waits for one to come free, at most the function's timeout (then it fails as a throttled
invocation). An instance is a process that serves one invocation at a time, for as long as it
lives, so no two invocations ever share module state, and a slow one (a receiver that hangs)
holds up only itself. Instances idle for ``idle_seconds`` are stopped, except the last one of
each function, which stays warm.

An instance's process starts from a fork server that imported only third-party libraries
(:mod:`local_runtime.preload`), never the layer nor a function; the instance then sets the
function's environment (from the template, with the emulator's endpoint), puts the function's
code first on ``sys.path``, imports its handler module (Lambda's INIT) and waits for invocations.
``LOCAL_WORKER_START=spawn`` starts each instance in a fresh interpreter instead (slower: every
instance imports everything itself).

Events and results cross the process boundary as JSON, as they do in Lambda: a result that is
not JSON fails the invocation (``Runtime.MarshalError``). A handler that raises fails the
invocation with its exception's message (``str``) and ``repr``, and the instance stays warm; an
invocation that outlives the function's ``Timeout`` kills its instance ("Task timed out after
N seconds"), as does one whose process dies.

Every line an instance writes to stdout or stderr reaches the runtime's own stdout or stderr
through a pipe per stream, whole lines at a time (:mod:`local_runtime.output`).
"""

from __future__ import annotations

import base64
import datetime as _datetime
import importlib
import io
import json
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from local_runtime import output

# Each instance is a process with ~30 MB of its own; two cores gain nothing from more than a few
# invocations of one function at once.
DEFAULT_MAX_INSTANCES = 4
DEFAULT_IDLE_SECONDS = 60.0  # a cold start is cheap here: memory is given back soon
INIT_TIMEOUT_SECONDS = 60.0  # an instance that has not imported its handler by then is killed
TIMEOUT_GRACE_SECONDS = 1.0  # past the function's Timeout before its instance is killed
# How long an invocation waits for an instance when all are busy, at least: API Gateway's longest
# integration timeout (a function with a longer Timeout waits that long).
MIN_QUEUE_SECONDS = 30.0
REAP_INTERVAL_SECONDS = 5.0
KEEP_WARM = 1  # instances of each function the reaper leaves running


@dataclass(frozen=True)
class FunctionSpec:
    """What an instance needs to become one of ``logical_id``'s execution environments."""

    logical_id: str
    code_uri: str
    handler: str  # module.function, as in the template
    timeout: int
    memory_mb: int = 512
    environment: dict[str, str] = field(default_factory=dict)  # the whole environment of the process


class InvocationError(Exception):
    """An invocation failed: ``str()`` is the failure's message (for a handler's exception, its
    ``str``), ``repr()`` the exception's repr as the handler raised it."""

    def __init__(self, message: str, representation: str | None = None, error_type: str = "Exception") -> None:
        super().__init__(message)
        self.error_type = error_type
        self.representation = representation or f"{error_type}({message!r})"

    def __repr__(self) -> str:
        return self.representation


class Throttled(InvocationError):
    """Every instance of the function stayed busy for the function's timeout."""


# ---------------------------------------------------------------------------------------------
# In the instance's process


def _serve(spec: FunctionSpec, control: Any, stdout: socket.socket, stderr: socket.socket, forked: bool) -> None:
    """An execution environment: INIT (import the handler), then one invocation at a time.
    ``forked``: started by the fork server (whose one thread forks every instance)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the runtime stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if forked:
        _exit_with_parent()
    _redirect_output(stdout, stderr)
    os.environ.clear()
    os.environ.update(spec.environment)
    sys.path.insert(0, spec.code_uri)
    started = time.perf_counter()
    try:
        module_name, handler_name = spec.handler.rsplit(".", 1)
        handler = getattr(importlib.import_module(module_name), handler_name)
    except Exception as error:  # noqa: BLE001 - Lambda's Runtime.ImportModuleError / HandlerNotFound
        _flush()
        control.send_bytes(_error_reply("Runtime.ImportModuleError", error))
        return
    _flush()
    control.send_bytes(json.dumps({"ready": os.getpid(), "initSeconds": time.perf_counter() - started}).encode())
    from local_runtime.lambda_context import LocalLambdaContext

    while True:
        try:
            request = json.loads(control.recv_bytes())
        except (EOFError, OSError):
            return  # the runtime closed our end: it stopped, or stopped us
        context = LocalLambdaContext(spec.logical_id, spec.timeout, spec.memory_mb)
        context.aws_request_id = request["requestId"]
        try:
            result = handler(request["event"], context)
        except Exception as error:  # noqa: BLE001 - the invocation's error, as Lambda reports it
            reply = _error_reply(type(error).__name__, error)
        else:
            try:
                reply = json.dumps({"result": result}).encode()
            except (TypeError, ValueError) as error:
                reply = _error_reply("Runtime.MarshalError", error, f"Unable to marshal response: {error}")
        _flush()
        try:
            control.send_bytes(reply)
        except OSError:
            return


def _error_reply(error_type: str, error: BaseException, message: str | None = None) -> bytes:
    text = str(error) if message is None else message
    return json.dumps({"error": {"type": error_type, "message": text, "repr": repr(error)}}).encode()


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def _redirect_output(stdout: socket.socket, stderr: socket.socket) -> None:
    """fd 1 and 2 become the pipes to the runtime; sys.stdout and sys.stderr write whole lines."""
    _flush()
    for fd, sock in ((1, stdout), (2, stderr)):
        os.dup2(sock.fileno(), fd)
        sock.close()
    sys.stdout = io.TextIOWrapper(
        io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True
    )
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True
    )


def _exit_with_parent() -> None:
    """On Linux, die with the fork server that forked us (it exits when the runtime does), so
    that no instance outlives a runtime that was killed. (Not for spawned instances: Linux ties
    this to the thread that started the process, and the runtime starts them from request
    threads that end. A spawned instance exits when it next reads its control pipe, closed.)"""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl
        os._exit(0)


# ---------------------------------------------------------------------------------------------
# In the runtime's process


def _json_default(value: Any) -> Any:
    """Events are JSON in Lambda: boto3's datetimes (stream records' ApproximateCreationDateTime)
    become epoch seconds, bytes base64, as Lambda's own events carry them."""
    if isinstance(value, _datetime.datetime):
        return value.timestamp()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _pump(sock: socket.socket, stderr: bool) -> None:
    """Copy an instance's output to the runtime's, line by line, until the instance closes it."""
    try:
        with sock, sock.makefile("rb") as lines:
            for raw in lines:
                output.line(raw.decode("utf-8", errors="backslashreplace"), stderr=stderr)
    except (OSError, ValueError):
        pass


class _Gone(Exception):
    """The instance's process ended (or broke its pipe) during an invocation."""


class _TimedOut(Exception):
    pass


class Instance:
    """One execution environment of one function: a process and its pipes."""

    def __init__(self, spec: FunctionSpec, context: Any) -> None:
        self.spec = spec
        self.last_used = time.monotonic()
        self._control, child_control = context.Pipe(duplex=True)
        stdout_read, stdout_write = socket.socketpair()
        stderr_read, stderr_write = socket.socketpair()
        started = time.perf_counter()
        self.process = context.Process(
            target=_serve,
            args=(spec, child_control, stdout_write, stderr_write, context.get_start_method() == "forkserver"),
            name=f"lambda-{spec.logical_id}",
            daemon=True,
        )
        try:
            self.process.start()
        finally:
            for end in (child_control, stdout_write, stderr_write):
                end.close()
        self._pumps = [
            threading.Thread(target=_pump, args=(stdout_read, False), name=f"{spec.logical_id}-stdout", daemon=True),
            threading.Thread(target=_pump, args=(stderr_read, True), name=f"{spec.logical_id}-stderr", daemon=True),
        ]
        for pump in self._pumps:
            pump.start()
        try:
            reply = self._receive(INIT_TIMEOUT_SECONDS)
        except (_Gone, _TimedOut):
            self.kill()
            raise InvocationError(
                f"{spec.logical_id}: the instance did not start (see its output above)", error_type="Runtime.ExitError"
            ) from None
        if "error" in reply:
            self.kill()
            error = reply["error"]
            raise InvocationError(error["message"], error["repr"], error["type"])
        self.pid: int = reply["ready"]
        self.start_seconds = time.perf_counter() - started  # process start + INIT (handler import)
        self.init_seconds: float = reply["initSeconds"]

    def _receive(self, timeout: float) -> dict[str, Any]:
        try:
            if not self._control.poll(timeout):
                raise _TimedOut
            return json.loads(self._control.recv_bytes())
        except (EOFError, OSError):
            raise _Gone from None

    def invoke(self, event: Any) -> Any:
        request = json.dumps({"event": event, "requestId": str(uuid.uuid4())}, default=_json_default).encode()
        try:
            self._control.send_bytes(request)
        except OSError:
            raise _Gone from None
        reply = self._receive(self.spec.timeout + TIMEOUT_GRACE_SECONDS)
        self.last_used = time.monotonic()
        if "error" in reply:
            error = reply["error"]
            raise InvocationError(error["message"], error["repr"], error["type"])
        return reply["result"]

    def alive(self) -> bool:
        return self.process.is_alive()

    def terminate(self) -> None:
        """SIGTERM. Safe while an invocation waits on the instance: that invocation then reads
        the end of the pipe and fails."""
        if self.process.is_alive():
            self.process.terminate()

    def close(self) -> None:
        """Close the control pipe; only once no invocation uses it."""
        try:
            self._control.close()
        except OSError:
            pass

    def stop(self) -> None:
        """An idle instance (or one whose invocation ended): close and terminate."""
        self.close()
        self.terminate()

    def kill(self) -> None:
        """By the thread that invoked it (a timeout, a broken pipe), or an idle instance."""
        self.close()
        if self.process.is_alive():
            self.process.kill()


class FunctionInstances:
    """The execution environments of one function: ``invoke`` as Lambda would, concurrently."""

    def __init__(self, spec: FunctionSpec, manager: Instances) -> None:
        self.spec = spec
        self._manager = manager
        self._idle: list[Instance] = []  # the most recently used last
        self._all: set[Instance] = set()
        self._starting = 0
        self._closed = False
        self._changed = threading.Condition()
        self.start_seconds: list[float] = []  # each instance's start (process + INIT)

    @property
    def max_instances(self) -> int:
        return self._manager.max_instances

    def invoke(self, event: Any) -> Any:
        instance = self._acquire()
        try:
            result = instance.invoke(event)
        except _TimedOut:
            self._discard(instance, kill=True)
            raise InvocationError(
                f"Task timed out after {self.spec.timeout:.2f} seconds", error_type="Sandbox.Timedout"
            ) from None
        except _Gone:
            self._discard(instance, kill=True)
            raise InvocationError(
                f"{self.spec.logical_id}: the instance exited during the invocation", error_type="Runtime.ExitError"
            ) from None
        except InvocationError:
            self._release(instance)
            raise
        self._release(instance)
        return result

    def instances(self) -> int:
        with self._changed:
            return len(self._all) + self._starting

    def busy(self) -> int:
        with self._changed:
            return len(self._all) - len(self._idle) + self._starting

    def pids(self) -> list[int]:
        with self._changed:
            return [instance.pid for instance in self._all]

    def _acquire(self) -> Instance:
        waited = max(float(self.spec.timeout), MIN_QUEUE_SECONDS)
        deadline = time.monotonic() + waited
        with self._changed:
            while True:
                if self._closed:
                    raise InvocationError(f"{self.spec.logical_id}: the local runtime is stopping", error_type="Runtime.Stopping")
                while self._idle:
                    instance = self._idle.pop()
                    if instance.alive():
                        return instance
                    self._all.discard(instance)
                if len(self._all) + self._starting < self.max_instances:
                    self._starting += 1
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Throttled(
                        f"{self.spec.logical_id}: all {self.max_instances} instances stayed busy for {waited:g} s "
                        "(LOCAL_FUNCTION_CONCURRENCY)",
                        error_type="TooManyRequestsException",
                    )
                self._changed.wait(left)
        try:
            instance = Instance(self.spec, self._manager.context)
        except BaseException:
            with self._changed:
                self._starting -= 1
                self._changed.notify()
            raise
        with self._changed:
            self._starting -= 1
            self.start_seconds.append(instance.start_seconds)
            accepted = not self._closed
            if accepted:
                self._all.add(instance)
            running = len(self._all)
        if accepted:
            if self._manager.announce:
                output.error(
                    f"local runtime: {self.spec.logical_id}: instance {instance.pid} started in "
                    f"{instance.start_seconds * 1000:.0f} ms (init {instance.init_seconds * 1000:.0f} ms); {running} running"
                )
            return instance
        instance.kill()
        raise InvocationError(f"{self.spec.logical_id}: the local runtime is stopping", error_type="Runtime.Stopping")

    def _release(self, instance: Instance) -> None:
        with self._changed:
            if self._closed or instance not in self._all:
                instance.stop()
                return
            self._idle.append(instance)
            self._changed.notify()

    def _discard(self, instance: Instance, *, kill: bool) -> None:
        if kill:
            instance.kill()
        with self._changed:
            self._all.discard(instance)
            if instance in self._idle:
                self._idle.remove(instance)
            self._changed.notify()

    def reap(self, idle_seconds: float, keep: int = KEEP_WARM) -> int:
        """Stop instances idle for longer than ``idle_seconds``, leaving the ``keep`` used last."""
        now = time.monotonic()
        with self._changed:
            removable = max(0, len(self._all) - keep)
            # _idle holds the least recently used first
            stale = [instance for instance in self._idle if now - instance.last_used > idle_seconds][:removable]
            for instance in stale:
                self._idle.remove(instance)
                self._all.discard(instance)
        for instance in stale:
            instance.stop()
        return len(stale)

    def close(self) -> list[Instance]:
        """No more invocations; every instance is terminated (those busy, mid-invocation: their
        invocations fail). Their pipes are the caller's to close once they have exited."""
        with self._changed:
            self._closed = True
            instances = list(self._all)
            self._all.clear()
            self._idle.clear()
            self._changed.notify_all()
        for instance in instances:
            instance.terminate()
        return instances


def start_method() -> str:
    wanted = os.environ.get("LOCAL_WORKER_START", "").strip()
    available = multiprocessing.get_all_start_methods()
    if wanted:
        if wanted not in ("forkserver", "spawn") or wanted not in available:
            raise ValueError(
                f"LOCAL_WORKER_START must be forkserver or spawn (available here: {', '.join(available)}), got {wanted!r}"
            )
        return wanted
    return "forkserver" if "forkserver" in available else "spawn"


class Instances:
    """Every function's instances; the fork server they start from; the idle reaper."""

    def __init__(
        self,
        *,
        max_instances: int = DEFAULT_MAX_INSTANCES,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        method: str | None = None,
        announce: bool = True,
    ) -> None:
        """``announce``: print a line when an instance starts (a cold start)."""
        if max_instances < 1:
            raise ValueError("max_instances must be at least 1")
        self.max_instances = max_instances
        self.idle_seconds = idle_seconds
        self.method = method or start_method()
        self.announce = announce
        self.context = multiprocessing.get_context(self.method)
        self._pools: dict[str, FunctionInstances] = {}
        self._stopping = threading.Event()
        self._reaper: threading.Thread | None = None

    def start(self) -> None:
        """Start the fork server now (it imports the preloaded libraries in the background) and
        the reaper."""
        if self.method == "forkserver":
            self.context.set_forkserver_preload(["local_runtime.preload"])
            from multiprocessing import forkserver

            forkserver.ensure_running()
        self._reaper = threading.Thread(target=self._reap, name="instance-reaper", daemon=True)
        self._reaper.start()

    def add(self, spec: FunctionSpec) -> FunctionInstances:
        pool = FunctionInstances(spec, self)
        self._pools[spec.logical_id] = pool
        return pool

    def __getitem__(self, logical_id: str) -> FunctionInstances:
        return self._pools[logical_id]

    def pools(self) -> Iterable[FunctionInstances]:
        return list(self._pools.values())

    def pids(self) -> list[int]:
        return [pid for pool in self.pools() for pid in pool.pids()]

    def _reap(self) -> None:
        while not self._stopping.wait(REAP_INTERVAL_SECONDS):
            for pool in self.pools():
                pool.reap(self.idle_seconds)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop every instance: terminated at once (SIGTERM), killed if still alive after
        ``timeout`` seconds in all."""
        self._stopping.set()
        instances = [instance for pool in self.pools() for instance in pool.close()]
        deadline = time.monotonic() + timeout
        for instance in instances:
            instance.process.join(max(0.0, deadline - time.monotonic()))
        for instance in instances:
            if instance.process.is_alive():
                instance.process.kill()
                instance.process.join(0.5)
            instance.close()
