"""The Streamlit app: entry script, navigation, sign-in routes, pages."""
