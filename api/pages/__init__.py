"""The workbench: server-rendered pages in Chinese under /app (see routes)."""
