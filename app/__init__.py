"""The application: main window, session state, worker thread, menus and file I/O glue."""
