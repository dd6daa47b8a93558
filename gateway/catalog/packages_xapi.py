"""xAPI packages: the ``tincan.xml`` manifest of a "TinCan" course zip.

The format (Rustici's ``tincan.xsd``, namespace ``http://projecttincan.com/tincan.xsd``)
lists activities; the one with a ``<launch>`` element is the entry point. Checked here:
the root and namespace, absolute activity ids, one launchable activity with a URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.catalog.content_errors import PackageError
from gateway.catalog.packages_xml import local_name, parse_manifest
from learning_store.validation.primitives import is_iri

TINCAN_MANIFEST = "tincan.xml"
TINCAN_NAMESPACE = "http://projecttincan.com/tincan.xsd"


@dataclass(frozen=True)
class XapiPackage:
    """The launchable activity of a tincan.xml package."""

    activity_id: str
    activity_type: str | None
    title: dict[str, str]
    launch: str


def _bad(message: str) -> PackageError:
    return PackageError(f"{TINCAN_MANIFEST} không hợp lệ / is invalid: {message}")


def parse_tincan(data: bytes) -> XapiPackage:
    """The launchable activity of ``data``; :class:`PackageError` when there is none."""
    root = parse_manifest(data, TINCAN_MANIFEST)
    if local_name(root.tag) != (TINCAN_NAMESPACE, "tincan"):
        raise _bad(f'the root element must be <tincan xmlns="{TINCAN_NAMESPACE}">')
    activities = [c for c in root if local_name(c.tag) == (TINCAN_NAMESPACE, "activities")]
    if len(activities) != 1:
        raise _bad("needs exactly one <activities> element")
    launchable: list[XapiPackage] = []
    for activity in activities[0]:
        if local_name(activity.tag) != (TINCAN_NAMESPACE, "activity"):
            continue
        activity_id = (activity.get("id") or "").strip()
        if not is_iri(activity_id):
            raise _bad(f"activity id {activity_id!r} is not an absolute IRI")
        title: dict[str, str] = {}
        launch = None
        for child in activity:
            uri, name = local_name(child.tag)
            if uri != TINCAN_NAMESPACE:
                continue
            if name == "name":
                title[child.get("lang", "und")] = " ".join((child.text or "").split())
            elif name == "launch":
                launch = " ".join((child.text or "").split())
        if launch:
            launchable.append(XapiPackage(activity_id, activity.get("type"), title, launch))
    if not launchable:
        raise _bad("no <activity> has a <launch> URL")
    return launchable[0]
