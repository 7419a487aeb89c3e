"""Open data: feeds and calendars beside the pages they follow (under the language
prefix, in the "tracker" namespace), and the API, which has one address for every
language."""

from django.urls import path

from tracker.opendata import feeds, package
from tracker.opendata.api import api

# Under /en/ and /zh-hans/, with the public pages.
localised = [
    path(
        "programmes/<slug:programme>/updates.atom",
        feeds.UpdatesFeed(),
        name="programme-updates-feed",
    ),
    path(
        "programmes/<slug:programme>/changes.atom",
        feeds.ChangesFeed(),
        name="programme-changes-feed",
    ),
    path("programmes/<slug:programme>/milestones.ics", feeds.calendar, name="programme-calendar"),
    path("programmes/<slug:programme>/download.zip", package.download, name="programme-download"),
    path(
        "programmes/<slug:programme>/projects/<slug:project>/updates.atom",
        feeds.UpdatesFeed(),
        name="project-updates-feed",
    ),
    path(
        "programmes/<slug:programme>/projects/<slug:project>/changes.atom",
        feeds.ChangesFeed(),
        name="project-changes-feed",
    ),
    path(
        "programmes/<slug:programme>/projects/<slug:project>/milestones.ics",
        feeds.calendar,
        name="project-calendar",
    ),
]

api_urls = api.urls
