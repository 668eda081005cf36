"""The run loop's own threads give way to the network's.

On two to four CPU cores the network's threads (ONNX Runtime's intra-op pool and the thread
that calls it) and the loop's (video decoding, pre-processing, arg-max, drawing, writing,
streaming) compete for the same cores. When a loop thread preempts one of the pool's workers,
the whole operator waits for that worker, so the network loses more time than the loop takes.
At a lower scheduling priority (a higher nice value) the loop's threads run in the time the
network leaves its cores idle (between operators, in its serial parts) and give the cores back
as soon as the network wants them. Only threads are lowered, never the process: the network's
threads keep the priority the user started the command with.

Linux only (setpriority on a thread id, from /proc); elsewhere nothing changes. Lowering needs
no privileges; raising would, so nothing here ever raises a priority.
"""

import os
import threading

# How far the loop's threads are lowered. Interleaved runs of 200 720p frames, 8 rounds, the
# small synthetic-scene model on 2 cores, FPS against the loop at the network's priority:
# nice 5 1.08x / 1.04x (Python 3.11 / JetPack 4.6's 3.6 stack), nice 10 1.13x / 1.06x, nice 19
# 1.02x / 1.02x (the loop's threads then wait too long for a core, and the network for their
# frames). The shipped CamVid model, 30 frames, 6 rounds: 1.09x / 1.09x / 1.11x on 3.11.
# tools/bench_run.py --compare-equal-priority measures it.
LOOP_NICENESS = 10

_native_id = getattr(threading, "get_native_id", None)


def current_thread_id():
    """The kernel's id of the calling thread, or None where it cannot be had. Python < 3.8
    (JetPack's 3.6) has no threading.get_native_id: Linux names the calling thread in
    /proc/thread-self (since 3.17; JetPack 4.6 runs 4.9) as ``PID/task/TID``."""
    if _native_id is not None:
        return _native_id()
    try:
        return int(os.readlink("/proc/thread-self").rsplit("/", 1)[1])
    except (OSError, ValueError, IndexError):
        return None


def thread_ids():
    """The ids of this process's threads now (empty where /proc is not there)."""
    try:
        return {int(name) for name in os.listdir("/proc/self/task")}
    except (OSError, ValueError):
        return set()


def lower_priority(niceness, ids=None):
    """Lower the given threads (default: the calling one) to at least ``niceness``.

    A thread already lower keeps its priority; one that has ended, or a system that refuses,
    changes nothing: priorities are a preference, never a reason to fail a run. Returns how
    many threads were lowered."""
    if niceness is None or not hasattr(os, "setpriority"):
        return 0
    if ids is None:
        ids = [current_thread_id()]
    lowered = 0
    for thread_id in ids:
        if thread_id is None:
            continue
        try:
            if os.getpriority(os.PRIO_PROCESS, thread_id) < niceness:
                os.setpriority(os.PRIO_PROCESS, thread_id, niceness)
                lowered += 1
        except OSError:
            continue
    return lowered


def priority(thread_id=None):
    """A thread's nice value (default: the calling one's), or None where it cannot be read."""
    thread_id = current_thread_id() if thread_id is None else thread_id
    if thread_id is None or not hasattr(os, "getpriority"):
        return None
    try:
        return os.getpriority(os.PRIO_PROCESS, thread_id)
    except OSError:
        return None
