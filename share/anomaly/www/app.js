/*
 * app.js: the live part of anomalyd's pages (SPEC §5).  The pages are
 * complete without it; with it they poll the JSON API about once a second
 * and update in place, and the client page draws its chart with uPlot.
 *
 * Safety: every string from the server goes into the page as text
 * (textContent, text nodes) or as a URL built with encodeURIComponent;
 * nothing is ever parsed as HTML.  The page's data is read from its
 * <script type="application/json"> block with JSON.parse.
 */
(function () {
	'use strict';

	var POLL_MS = 1000;
	var body = document.body;
	var page = body.getAttribute('data-page');
	var dataEl = document.getElementById('page-data');
	var data = dataEl ? JSON.parse(dataEl.textContent) : {};
	var live = document.getElementById('live');
	/* the server's clock minus ours, so that "ago" matches the server */
	var skew = data.now_ms ? data.now_ms - Date.now() : 0;
	var polls = 0;

	function now() {
		return Date.now() + skew;
	}

	/* how long ago ms was, as put_ago() in http.c writes it */
	function ago(ms) {
		var s = Math.floor((now() - ms) / 1000);

		if (!(ms > 0))
			return 'never';
		if (s < 2)
			return 'just now';
		if (s < 60)
			return s + ' s ago';
		if (s < 3600)
			return Math.floor(s / 60) + ' min ago';
		if (s < 86400)
			return Math.floor(s / 3600) + ' h ago';
		return Math.floor(s / 86400) + ' d ago';
	}

	function iso(ms) {
		try {
			return new Date(ms).toISOString();
		} catch (e) {
			return '';
		}
	}

	/* an element with a class and text (never HTML) */
	function el(tag, cls, text) {
		var e = document.createElement(tag);

		if (cls)
			e.className = cls;
		if (text !== undefined && text !== null)
			e.textContent = String(text);
		return e;
	}

	function when(ms) {
		var t = el('time', null, ago(ms));

		t.setAttribute('datetime', iso(ms));
		t.setAttribute('title', iso(ms));
		t.setAttribute('data-ms', String(ms));
		return t;
	}

	function num(v) {
		return v === null || v === undefined ? '' : String(v);
	}

	function getJSON(url) {
		return fetch(url, { cache: 'no-store', credentials: 'same-origin',
		    headers: { 'Accept': 'application/json' } }).then(function (r) {
			if (!r.ok)
				throw new Error(url + ': HTTP ' + r.status);
			return r.json();
		});
	}

	function setLive(ok) {
		if (!live)
			return;
		live.hidden = false;
		live.textContent = ok ? 'live' : 'offline';
		live.className = 'live ' + (ok ? 'on' : 'off');
		live.title = ok ? 'updated ' + new Date().toLocaleTimeString() :
		    'the server does not answer';
	}

	/* Runs step (which returns a promise) now and then POLL_MS after
	 * each time it settles. */
	function poll(step) {
		function tick() {
			step().then(function () {
				polls++;
				body.setAttribute('data-polls', String(polls));
				setLive(true);
			}, function (e) {
				setLive(false);
				if (window.console)
					console.warn(String(e));
			}).then(function () {
				setTimeout(tick, POLL_MS);
			});
		}
		tick();
	}

	/* every <time data-ms> on the page, relative to now again */
	function refreshTimes() {
		var ts = document.querySelectorAll('time[data-ms]'), i;

		for (i = 0; i < ts.length; i++)
			ts[i].textContent = ago(Number(ts[i].getAttribute('data-ms')));
	}

	/* ------------------------------------------------------ index */

	function clientRow(c) {
		var tr = el('tr'), td, a;

		td = el('td');
		td.setAttribute('data-label', 'client');
		a = el('a', null, c.client_id);
		a.href = '/client/' + encodeURIComponent(c.client_id);
		td.appendChild(a);
		tr.appendChild(td);
		[['window', c.window], ['points', c.points],
		    ['anomalies', c.anomalies], ['alerts', c.alerts],
		    ['last value', c.last_value]].forEach(function (kv) {
			var d = el('td', 'num', num(kv[1]));

			d.setAttribute('data-label', kv[0]);
			tr.appendChild(d);
		});
		td = el('td');
		td.setAttribute('data-label', 'last seen');
		td.appendChild(when(c.last_seen_ms));
		tr.appendChild(td);
		return tr;
	}

	function fillSection(id, clients, what) {
		var sec = document.getElementById(id), tbody, tr, td;

		if (!sec || !(tbody = sec.querySelector('tbody')))
			return;
		tbody.textContent = '';
		clients.forEach(function (c) {
			tbody.appendChild(clientRow(c));
		});
		if (clients.length === 0) {
			tr = el('tr', 'none');
			td = el('td', null, 'No ' + what + ' client.');
			td.colSpan = 7;
			tr.appendChild(td);
			tbody.appendChild(tr);
		}
	}

	/* The shards of the cluster when the page came through its HAProxy
	 * (share/anomaly/cluster/), which names their number in the header
	 * X-Anomaly-Shards of every answer; 0 from a single anomalyd. */
	function shardsOf(r) {
		var n = Math.floor(Number(r.headers.get('X-Anomaly-Shards')));

		return n > 1 && n <= 64 ? n : 0;
	}

	/* The links of the index's bottom pager to the pages before and
	 * after the clients shown (list, in order), as the server would
	 * write them for one list: "next" when more follow, "previous" when
	 * the page is not the first. */
	function pagerLinks(args, limit, list, more) {
		var pager = document.getElementById('clients-pager'), tail;

		if (!pager || list.length === 0)
			return;
		tail = limit !== 100 ? '&limit=' + limit : '';
		[['prev', args.has('after') || (args.has('before') && more),
		    '?before=' + encodeURIComponent(list[0].client_id),
		    '\u2190 previous'],
		    ['next', !args.has('before') ? more : true,
		    '?after=' + encodeURIComponent(list[list.length - 1]
		    .client_id), 'next \u2192']].forEach(function (l) {
			var a = document.getElementById('clients-' + l[0]);

			if (!l[1]) {
				if (a)
					a.remove();
				return;
			}
			if (!a) {
				a = el('a', null, l[3]);
				a.id = 'clients-' + l[0];
				a.rel = l[0];
				pager.appendChild(a);
				pager.appendChild(document.createTextNode(' '));
			}
			a.href = '/' + l[2] + tail;
		});
	}

	/* The page of clients q (?after=, ?before=, ?limit=) of the whole
	 * cluster: the same page of each shard (/shard/K/api/clients, by
	 * name), merged by name and cut to the page's length.  A shard that
	 * does not answer is named in the pager; none answering is an
	 * error. */
	function clusterClients(shards, q) {
		var k, asks = [], args = new URLSearchParams(q),
		    limit = Number(args.get('limit')) || 100;

		for (k = 0; k < shards; k++)
			asks.push(getJSON('/shard/' + k + '/api/clients' + q)
			    .catch(function () {
				return null;
			}));
		return Promise.all(asks).then(function (lists) {
			var all = [], down = [], more = false, count;

			lists.forEach(function (l, i) {
				if (l === null) {
					down.push(i);
					return;
				}
				if (l.length >= limit)
					more = true;
				all = all.concat(l);
			});
			if (down.length === shards)
				throw new Error('no shard answers');
			all.sort(function (a, b) {
				return a.client_id < b.client_id ? -1 :
				    a.client_id > b.client_id ? 1 : 0;
			});
			if (all.length > limit) {
				more = true;
				all = args.has('before') ? all.slice(-limit) :
				    all.slice(0, limit);
			}
			count = all.length + (all.length === 1 ? ' client' :
			    ' clients') + (more ? ' on this page' : ' in all') +
			    ' (' + all.filter(function (c) {
				return c.active;
			    }).length + ' active) from ' + shards + ' shards' +
			    (down.length ? '; shard ' + down.join(', ') +
			    ' does not answer' : '') + ', by name';
			Array.prototype.forEach.call(document.querySelectorAll(
			    '.pager .count'), function (e) {
				e.textContent = count;
			});
			pagerLinks(args, limit, all, more);
			body.setAttribute('data-shards', String(shards));
			body.setAttribute('data-shards-down', down.join(' '));
			return all;
		});
	}

	function index() {
		var shards = 0, q = location.search;

		function show(list) {
			fillSection('active', list.filter(function (c) {
				return c.active;
			}), 'active');
			fillSection('inactive', list.filter(function (c) {
				return !c.active;
			}), 'inactive');
		}

		poll(function () {
			if (shards > 0)
				return clusterClients(shards, q).then(show);
			/* the page of clients this page shows */
			return fetch('/api/clients' + q, { cache: 'no-store',
			    credentials: 'same-origin',
			    headers: { 'Accept': 'application/json' } }).then(
			    function (r) {
				if (!r.ok)
					throw new Error('/api/clients: HTTP ' +
					    r.status);
				shards = shardsOf(r);
				return shards > 0 ? clusterClients(shards, q) :
				    r.json();
			}).then(show);
		});
	}

	/* ----------------------------------------------------- client */

	function tsText(p) {
		return typeof p.timestamp === 'string' ? p.timestamp :
		    String(p.timestamp);
	}

	function pointRow(p) {
		var tr = el('tr', p.alert ? 'alert' : p.anomaly ? 'anomaly' : null);

		tr.appendChild(el('td', 'num', p.n));
		tr.appendChild(el('td', null, tsText(p)));
		tr.appendChild(el('td', 'num', num(p.value)));
		tr.appendChild(el('td', 'num', Number(p.score).toFixed(2)));
		tr.appendChild(el('td', null, p.alert ? 'alert' : p.anomaly ?
		    'anomaly' : ''));
		return tr;
	}

	/* A row of the anomalies and alerts list: names the detectors that
	 * voted (bit k of votes is data.detectors[k]). */
	function eventRow(p) {
		var tr = el('tr', p.alert ? 'alert' : 'anomaly'), names = [],
		    k, det = data.detectors || [];

		for (k = 0; k < det.length; k++)
			if (p.votes & (1 << k))
				names.push(det[k]);
		tr.appendChild(el('td', 'num', p.n));
		tr.appendChild(el('td', null, tsText(p)));
		tr.appendChild(el('td', 'num', num(p.value)));
		tr.appendChild(el('td', null, p.anomaly && p.alert ?
		    'anomaly, alert' : p.alert ? 'alert' : 'anomaly'));
		tr.appendChild(el('td', null, names.join(' ')));
		return tr;
	}

	/* On the newest page of the list, new anomalies and alerts go on top;
	 * the page keeps its length and its "older" link follows. */
	function addEvents(more) {
		var tbody = document.getElementById('events-rows'), i, p, a,
		    max = data.events_page || 50, pager, last;

		if (!tbody || !data.events_live)
			return;
		for (i = 0; i < more.length; i++) {
			p = more[i];
			if (!p.anomaly && !p.alert)
				continue;
			if (tbody.rows.length === 1 &&
			    tbody.rows[0].className === 'none')
				tbody.deleteRow(0);
			tbody.insertBefore(eventRow(p), tbody.firstChild);
		}
		if (tbody.rows.length <= max)
			return;
		while (tbody.rows.length > max)
			tbody.deleteRow(tbody.rows.length - 1);
		last = tbody.rows[tbody.rows.length - 1].cells[0].textContent;
		a = document.getElementById('events-older');
		if (!a) {
			pager = document.querySelector('#events .pager');
			if (!pager)
				return;
			a = el('a', null, 'older \u2192');
			a.id = 'events-older';
			a.rel = 'next';
			pager.appendChild(a);
		}
		a.href = '/client/' + encodeURIComponent(data.client.client_id) +
		    '?before=' + last + '#events';
	}

	function cssVar(name, dflt) {
		var v = getComputedStyle(document.documentElement)
		    .getPropertyValue(name).trim();

		return v || dflt;
	}

	/* The uPlot chart of pts: x is the time when every point has a date
	 * and they never go back in time, else the ordinal n. */
	function Chart(box, pts) {
		this.box = box;
		this.pts = pts;
		this.plot = null;
		this.timeMode = null;
		this.zoomed = false;
		this.draw();
		var self = this;
		window.addEventListener('resize', function () {
			if (self.plot)
				self.plot.setSize(self.size());
		});
	}

	Chart.prototype.size = function () {
		var w = Math.max(200, this.box.clientWidth);

		return { width: w, height: Math.round(Math.min(340,
		    Math.max(200, w * 0.42))) };
	};

	Chart.prototype.isTime = function () {
		var i, p = this.pts;

		if (p.length === 0)
			return false;
		for (i = 0; i < p.length; i++)
			if (p[i].t_ms === null ||
			    (i > 0 && p[i].t_ms < p[i - 1].t_ms))
				return false;
		return true;
	};

	Chart.prototype.columns = function () {
		var xs = [], v = [], an = [], al = [], i, p;

		for (i = 0; i < this.pts.length; i++) {
			p = this.pts[i];
			xs.push(this.timeMode ? p.t_ms / 1000 : p.n);
			v.push(p.value);
			an.push(p.anomaly ? p.value : null);
			al.push(p.alert ? p.value : null);
		}
		return [xs, v, an, al];
	};

	/* the legend of the anomaly and alert series: yes or no */
	function flag(u, v, si, i) {
		if (i === null || i === undefined)
			return '--';
		return v === null || v === undefined ? 'no' : 'yes';
	}

	Chart.prototype.make = function () {
		var self = this, fg = cssVar('--muted', '#5f6368'),
		    grid = cssVar('--line', '#d7dadd'),
		    line = cssVar('--chart-line', '#1a73e8'),
		    red = cssVar('--chart-anomaly', '#d93025'),
		    alertc = cssVar('--chart-alert', '#8e24aa'), size = this.size();
		var axis = { stroke: fg, grid: { stroke: grid, width: 1 },
		    ticks: { stroke: grid, width: 1 } };
		var opts = {
			width: size.width,
			height: size.height,
			scales: { x: { time: this.timeMode } },
			cursor: { drag: { x: true, y: false, setScale: true } },
			legend: { live: true },
			axes: [axis, Object.assign({ size: 60 }, axis)],
			series: [
				{
					label: this.timeMode ? 'time' : 'n',
					value: function (u, v, si, i) {
						var p = i === null || i === undefined ?
						    null : self.pts[i];

						return p ? tsText(p) : '--';
					}
				},
				{ label: 'value', stroke: line, width: 1.5,
				    points: { show: false } },
				{ label: 'anomaly', stroke: red, fill: red, width: 0,
				    value: flag,
				    paths: function () { return null; },
				    points: { show: true, size: 7, width: 1,
				    stroke: red, fill: red } },
				{ label: 'alert', stroke: alertc, width: 0,
				    value: flag,
				    paths: function () { return null; },
				    points: { show: true, size: 13, width: 2,
				    stroke: alertc, fill: 'rgba(0,0,0,0)' } }
			],
			hooks: {
				/* a dashed line across the plot at each alert */
				draw: [function (u) {
					var ctx = u.ctx, d = u.data, i, x;

					ctx.save();
					ctx.strokeStyle = alertc;
					ctx.globalAlpha = 0.45;
					ctx.lineWidth = 1 * devicePixelRatio;
					ctx.setLineDash([4 * devicePixelRatio,
					    4 * devicePixelRatio]);
					for (i = 0; i < d[0].length; i++) {
						if (d[3][i] === null)
							continue;
						x = Math.round(u.valToPos(d[0][i], 'x',
						    true));
						ctx.beginPath();
						ctx.moveTo(x, u.bbox.top);
						ctx.lineTo(x, u.bbox.top +
						    u.bbox.height);
						ctx.stroke();
					}
					ctx.restore();
				}],
				setScale: [function (u, key) {
					var xs = u.data[0];

					if (key !== 'x' || xs.length === 0)
						return;
					self.zoomed = u.scales.x.min > xs[0] ||
					    u.scales.x.max < xs[xs.length - 1];
					/* for the tests (tests/browser/pages.js) */
					self.box.setAttribute('data-zoomed',
					    self.zoomed ? '1' : '0');
					self.box.setAttribute('data-range', [u.scales.x.min,
					    u.scales.x.max, xs[0], xs[xs.length - 1]]
					    .join(' '));
				}]
			}
		};

		this.box.textContent = '';
		this.zoomed = false;
		this.plot = new uPlot(opts, this.columns(), this.box);
	};

	Chart.prototype.draw = function () {
		var t = this.isTime();

		this.box.setAttribute('data-points', String(this.pts.length));
		if (this.plot === null || t !== this.timeMode) {
			if (this.plot)
				this.plot.destroy();
			this.timeMode = t;
			this.make();
			return;
		}
		if (this.zoomed) {
			/* new points, the user's zoom kept */
			var x = this.plot.scales.x;

			this.plot.setData(this.columns(), false);
			this.plot.setScale('x', { min: x.min, max: x.max });
		} else
			this.plot.setData(this.columns());
	};

	function setStat(key, value) {
		var e = document.querySelector('[data-stat="' + key + '"]');

		if (!e)
			return;
		if (value instanceof Node) {
			e.textContent = '';
			e.appendChild(value);
		} else
			e.textContent = value;
	}

	function showStats(c) {
		var an = document.createDocumentFragment();

		an.appendChild(document.createTextNode(String(c.anomalies)));
		if (c.points > 0) {
			an.appendChild(document.createTextNode(' '));
			an.appendChild(el('small', null, '(' + (100 * c.anomalies /
			    c.points).toFixed(1) + '%)'));
		}
		setStat('points', String(c.points));
		setStat('anomalies', an);
		setStat('alerts', String(c.alerts));
		setStat('last_value', num(c.last_value));
		setStat('last_seen', when(c.last_seen_ms));
		setStat('window', String(c.window));
		setStat('last_seq', String(c.last_seq));
		var st = document.querySelector('[data-stat="state"]');
		if (st) {
			st.textContent = c.active ? 'active' : 'inactive';
			st.className = 'state ' + (c.active ? 'active' : 'inactive');
		}
	}

	function client() {
		var c = data.client, pts = data.points || [],
		    maxChart = data.chart_points || 1000,
		    maxRows = data.table_points || 100,
		    tbody = document.getElementById('points'),
		    box = document.getElementById('chart'),
		    base = '/api/clients/' + encodeURIComponent(c.client_id),
		    chart = null, lastN = pts.length ? pts[pts.length - 1].n : 0;

		if (box && typeof uPlot === 'function') {
			chart = new Chart(box, pts);
			box.parentNode.classList.add('js');
		}
		body.setAttribute('data-chart', chart ? 'uplot' : 'static');
		poll(function () {
			return getJSON(base).then(function (fresh) {
				c = fresh;
				showStats(c);
				if (c.points <= lastN)
					return null;
				/* more than the chart holds: start again from
				 * the end */
				var after = Math.max(lastN, c.points - maxChart);
				if (after > lastN)
					pts.length = 0;
				return getJSON(base + '/points?after=' + after +
				    '&limit=' + maxChart);
			}).then(function (more) {
				var i;

				if (!more || more.length === 0)
					return;
				for (i = 0; i < more.length; i++) {
					pts.push(more[i]);
					tbody.insertBefore(pointRow(more[i]),
					    tbody.firstChild);
				}
				addEvents(more);
				if (pts.length > maxChart)
					pts.splice(0, pts.length - maxChart);
				while (tbody.rows.length > maxRows)
					tbody.deleteRow(tbody.rows.length - 1);
				lastN = more[more.length - 1].n;
				if (chart) {
					chart.pts = pts;
					chart.draw();
				}
			});
		});
	}

	setInterval(refreshTimes, 1000);
	if (page === 'index')
		index();
	else if (page === 'client' && data.client)
		client();
})();
