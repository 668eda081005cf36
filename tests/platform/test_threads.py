import os
import threading
import time

from edge_segnet.platform import threads


def _in_thread(function):
    """Runs ``function`` on a new thread and returns what it returned."""
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("value", function()))
    worker.start()
    worker.join()
    return result["value"]


def test_the_calling_threads_id_is_one_of_the_processs_threads():
    assert threads.current_thread_id() in threads.thread_ids()
    assert _in_thread(threads.current_thread_id) != threads.current_thread_id()


def test_the_id_is_found_without_get_native_id_as_on_python_3_6(monkeypatch):
    expected = threads.current_thread_id()
    monkeypatch.setattr(threads, "_native_id", None)
    assert threads.current_thread_id() == expected == os.getpid()  # pytest's main thread
    assert _in_thread(lambda: threads.current_thread_id() in threads.thread_ids() - {expected})


def _lower(steps):
    """A nice value ``steps`` below the caller's, and whether it is one (19 is the lowest)."""
    target = min(19, threads.priority() + steps)
    return target, int(target > threads.priority())


def test_only_the_calling_thread_is_lowered():
    before = threads.priority()
    target, changes = _lower(7)
    lowered = _in_thread(lambda: (threads.lower_priority(target), threads.priority()))
    assert lowered == (changes, target)
    assert threads.priority() == before


def test_a_thread_already_lower_keeps_its_priority():
    lower, changes = _lower(9)
    higher, _ = _lower(4)
    assert _in_thread(lambda: (threads.lower_priority(lower),
                               threads.lower_priority(higher),
                               threads.priority())) == (changes, 0, lower)


def test_other_threads_are_lowered_by_id():
    ready, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        seen["id"] = threads.current_thread_id()
        ready.set()
        release.wait(5)
        seen["priority"] = threads.priority()

    thread = threading.Thread(target=worker)
    thread.start()
    ready.wait(5)
    target, changes = _lower(5)
    assert threads.lower_priority(target, [seen["id"]]) == changes
    release.set()
    thread.join()
    assert seen["priority"] == target


def test_a_thread_that_has_ended_or_no_niceness_changes_nothing():
    ended = _in_thread(threads.current_thread_id)
    deadline = time.monotonic() + 5
    while ended in threads.thread_ids() and time.monotonic() < deadline:
        time.sleep(0.01)  # join() returns before the kernel has removed the thread
    assert ended not in threads.thread_ids()
    before = threads.priority()
    assert threads.lower_priority(_lower(5)[0], [ended, None]) == 0
    assert threads.lower_priority(None) == 0
    assert threads.priority() == before
