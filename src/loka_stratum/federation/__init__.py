"""Federation: pool instances of one operator share chain tips and found blocks.

`messages`, `auth` and `connection` are the sans-IO protocol core; `link`,
`service` and `peers` the asyncio edge; `control` the emergency-disable flag.
"""
