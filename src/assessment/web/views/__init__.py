"""The app's pages: modules exposing ``render() -> None`` (not Streamlit page scripts)."""
