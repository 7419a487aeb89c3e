"""The bare stack the bench measures this project against: a minimal Django project
with only the Security and WhiteNoise middleware, run by gunicorn's sync workers. What
it serves (the project's own collected CSS, and a page of about 27 KB made once) is the
ceiling of Django and gunicorn on this machine, which the project's cached pages are
compared with in the same run (issue 17)."""
