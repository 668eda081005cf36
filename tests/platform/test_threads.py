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
    monkeypatch.delattr(threading, "get_native_id", raising=False)
    assert threads.current_thread_id() == expected == os.getpid()  # pytest's main thread


def test_only_the_calling_thread_is_lowered():
    before = threads.priority()
    lowered = _in_thread(lambda: (threads.lower_priority(before + 7), threads.priority()))
    assert lowered == (1, before + 7)
    assert threads.priority() == before


def test_a_thread_already_lower_keeps_its_priority():
    before = threads.priority()
    assert _in_thread(lambda: (threads.lower_priority(before + 9),
                               threads.lower_priority(before + 4),
                               threads.priority())) == (1, 0, before + 9)


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
    assert threads.lower_priority(threads.priority() + 5, [seen["id"]]) == 1
    release.set()
    thread.join()
    assert seen["priority"] == threads.priority() + 5


def test_a_thread_that_has_ended_or_no_niceness_changes_nothing():
    ended = _in_thread(threads.current_thread_id)
    deadline = time.monotonic() + 5
    while ended in threads.thread_ids() and time.monotonic() < deadline:
        time.sleep(0.01)  # join() returns before the kernel has removed the thread
    assert ended not in threads.thread_ids()
    before = threads.priority()
    assert threads.lower_priority(before + 5, [ended, None]) == 0
    assert threads.lower_priority(None) == 0
    assert threads.priority() == before
