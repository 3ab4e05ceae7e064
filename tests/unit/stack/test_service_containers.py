"""A replica's services are the containers compose created for them, not every container that
carries its project label: compose labels the images it builds with the building project and
service, so a container run from one by hand (`docker run`, a testcontainers container) has them."""
from replica.engine import health

PROJECT = "mina-staging-unit"


class Container:
    def __init__(self, container_id, labels, port):
        self.id, self.name, self.labels = container_id, container_id, labels
        self.attrs = {"Config": {"Labels": labels},
                      "State": {"Status": "running", "Health": {"Status": "healthy"}},
                      "NetworkSettings": {"Ports": {"5000/tcp": [{"HostIp": "127.0.0.1",
                                                                   "HostPort": str(port)}]}}}

    def reload(self):
        pass


class Engine:
    """Lists containers as the engine does: every `key=value` of the label filter must match."""

    def __init__(self, containers):
        self.containers, self.all = self, containers

    def list(self, all=False, sparse=False, filters=None):
        wanted = (filters or {}).get("label", [])
        wanted = [wanted] if isinstance(wanted, str) else wanted
        return [c for c in self.all
                if all_match(c.labels, [w.split("=", 1) for w in wanted])]


def all_match(labels, pairs):
    return all(labels.get(key) == value for key, value in pairs)


IMAGE_LABELS = {health.PROJECT_LABEL: PROJECT, health.SERVICE_LABEL: "app"}
COMPOSED = Container("composed", {**IMAGE_LABELS, health.ONEOFF_LABEL: "False"}, 5000)
BY_HAND = Container("by-hand", dict(IMAGE_LABELS), 5999)  # `docker run` of the app's image


def test_a_container_run_by_hand_from_a_replica_image_is_no_service_of_it():
    engine = Engine([COMPOSED, BY_HAND])
    assert health.service_states(engine, PROJECT)["app"].container_id == "composed"
    assert health.published_addresses(engine, PROJECT) == {"app": ["127.0.0.1:5000"]}


def test_the_filter_names_one_service_when_asked():
    engine = Engine([COMPOSED, BY_HAND, Container("db", {health.PROJECT_LABEL: PROJECT,
                                                         health.SERVICE_LABEL: "db",
                                                         health.ONEOFF_LABEL: "False"}, 15432)])
    assert [c.id for c in engine.list(filters=health.service_filter(PROJECT, "app"))] == ["composed"]
