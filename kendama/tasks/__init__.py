"""Background work, kept apart from what it runs.

`queue` hands a job over by its dotted name (to RQ, or inline) once the transaction that asked for
it commits; `runtime` is the one wrapper every job runs in; `periodic` is the table of what runs on
a clock, and the tickers that run it. None of them imports a service or `kendama.jobs`: services
name the jobs they want, and `kendama.jobs` (the RQ entry points) imports the services.
"""
