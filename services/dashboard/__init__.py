"""The staff web app: server-rendered pages (Bahasa Indonesia) over the five services'
HTTP APIs, with sign-in, the staff directory and live updates over Server-Sent Events."""
