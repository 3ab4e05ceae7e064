"""Who owns a test container (tests/support/containers.py): the reaper removes only the
containers whose owning process is gone, so a reused pid or a reboot must not look alive."""
import subprocess
import sys

from tests.support import containers


def test_this_process_owns_its_labels():
    assert containers.owner_alive(containers.owner_labels("redis"))


def test_a_dead_owner_is_gone():
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    labels = {**containers.owner_labels("redis"), containers.PID: done.stdout.strip()}
    assert not containers.owner_alive(labels)


def test_a_reused_pid_is_not_the_owner():
    labels = containers.owner_labels("redis")
    labels[containers.STARTED] = str(int(labels[containers.STARTED]) + 1)
    assert not containers.owner_alive(labels)


def test_a_reboot_ends_every_owner():
    labels = {**containers.owner_labels("redis"), containers.BOOT: "another-boot"}
    assert not containers.owner_alive(labels)


def test_another_machines_container_is_left_alone():
    labels = {**containers.owner_labels("redis"), containers.HOST: "another-machine",
              containers.PID: "1", containers.STARTED: "0"}
    assert containers.owner_alive(labels)


def test_labels_without_an_owner_are_not_alive():
    assert not containers.owner_alive({containers.HOST: containers.socket.gethostname(),
                                       containers.BOOT: containers.owner_labels("x")[containers.BOOT]})


def test_a_throwaway_container_is_labelled_as_no_replicas():
    """Its image carries the compose labels of the replica that built it (project, service); the
    container's own labels override them, so no replica counts it as one of its services."""
    labels = containers.container_labels("postgres")
    assert all(labels[key].startswith("tc-mina-") for key in containers.COMPOSE_LABELS), labels
    assert containers.owner_alive(labels)
