# gen.py DB CLIENT NPOINTS NCLIENTS: writes NPOINTS points of CLIENT (every
# 50th an anomaly, every 500th an alert, n from 1) and NCLIENTS more clients
# with no points, c00000 up, all inactive, with the counters the clients
# table keeps, straight into DB (anomalyd created it and is stopped): a
# large database in a second, for the tests of large reads and many
# clients.  CLIENT "-": no such client.
import sqlite3
import sys

db, cid, npts, ncl = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
con = sqlite3.connect(db)


def client(i, pts, an, al, last):
    return (i, 10, '{}', 0, 1600000000000, 1600000000000, pts, an, al,
            None, last, 0, '127.0.0.1')


# by name: later schema versions add columns (key_hash, v3)
INSERT_CLIENT = ("INSERT INTO clients (client_id, window, settings, active,"
                 " first_seen_ms, last_seen_ms, points, anomalies, alerts,"
                 " last_alert_n, last_value, last_seq, peer)"
                 " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")

if cid != "-":
    con.executemany("INSERT INTO points VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    ((cid, n, None, 1600000000 + n, (1600000000 + n) * 1000,
                      float(n % 100), int(n % 50 == 0), int(n % 500 == 0),
                      0.5, int(n % 50 == 0), 1600000000000)
                     for n in range(1, npts + 1)))
    con.execute(INSERT_CLIENT,
                client(cid, npts, npts // 50, npts // 500,
                       float(npts % 100)))
con.executemany(INSERT_CLIENT,
                (client("c%05d" % i, 0, 0, 0, None) for i in range(ncl)))
con.commit()
