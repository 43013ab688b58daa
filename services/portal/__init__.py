"""The portal: server-rendered pages for planners and owners over the three APIs."""
