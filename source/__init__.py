"""The source document: "Steckbriefe der 20 Themenforen" (1 June 2019)."""
