"""The documents and charts the lead office reads: the monthly export as data, Excel, Word and PNG charts."""
