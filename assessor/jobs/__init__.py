"""Background work that is due (design.md, "jobs/"): today publishing campaigns whose closing
date has passed. Each job is a plain function run inline by `assessor jobs run-due` (cron,
every minute); they are idempotent, so a queue worker can run them the same way later."""
