"""portal: the citizens' public-facing process. The status page (ticket number and check
code) and the satisfaction survey form, server-rendered in Bahasa Indonesia. It keeps no
data of its own: it reads through intake's and casework's internal APIs."""
