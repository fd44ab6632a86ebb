/* One direction of a link: MTU, drop-tail queue, serialization, loss,
 * delay, jitter, reordering, duplication. */
#include "sim_internal.h"

#include <string.h>

void sim_link_config_symmetric(sim_link_config *cfg, const sim_link_dir *dir) {
  memset(cfg, 0, sizeof(*cfg));
  if (dir != NULL) {
    cfg->up = *dir;
    cfg->down = *dir;
  }
}

void sim_link_init(sim_iface *iface, uint64_t seed) {
  for (int d = 0; d < 2; d++)
    weft_pcg_seed(&iface->dir[d].pcg, seed,
                  ((uint64_t)iface->id << 1) | (uint64_t)d);
}

static int chance(weft_pcg *pcg, double p) {
  if (p <= 0.0)
    return 0;
  if (p >= 1.0)
    return 1;
  return weft_pcg_double(pcg) < p;
}

/* Uniform in [0, max]. */
static weft_tstamp draw(weft_pcg *pcg, weft_tstamp max) {
  if (max == 0)
    return 0;
  if (max < UINT32_MAX)
    return weft_pcg_bounded(pcg, (uint32_t)max + 1);
  weft_tstamp v = (weft_tstamp)(weft_pcg_double(pcg) * (double)max);
  return v > max ? max : v;
}

/* Whether this packet is lost: independent, or Gilbert bursts. */
static int lost(const sim_link_dir *cfg, link_state *ls) {
  if (cfg->loss_burst <= 1.0 || cfg->loss <= 0.0 || cfg->loss >= 1.0)
    return chance(&ls->pcg, cfg->loss);
  int was = ls->lossy;
  double enter = cfg->loss / (cfg->loss_burst * (1.0 - cfg->loss));
  ls->lossy =
      was ? !chance(&ls->pcg, 1.0 / cfg->loss_burst) : chance(&ls->pcg, enter);
  return was;
}

static void drop(sim_net *net, int kind, const sim_iface *iface, sim_pkt *p) {
  sim_emit(net, kind, iface->node->name, p);
  sim_pkt_free(net, p);
}

static double backlog_bytes(const sim_link_dir *cfg, const link_state *ls,
                            weft_tstamp now) {
  if (cfg->bandwidth_bps == 0 || ls->busy_until <= now)
    return 0.0;
  return (double)(ls->busy_until - now) * (double)cfg->bandwidth_bps / 8e9;
}

size_t sim_iface_queued_bytes(const sim_iface *iface, int dir) {
  dir = dir == SIM_DOWN ? SIM_DOWN : SIM_UP;
  const sim_link_dir *cfg = dir == SIM_UP ? &iface->cfg.up : &iface->cfg.down;
  return (size_t)(backlog_bytes(cfg, &iface->dir[dir], iface->net->now) + 0.5);
}

/* Serialization; returns the departure time, or NONE when the queue is
 * full. */
static weft_tstamp serialize(const sim_link_dir *cfg, link_state *ls,
                             weft_tstamp now, size_t len) {
  if (cfg->bandwidth_bps == 0)
    return now;
  weft_tstamp start = ls->busy_until > now ? ls->busy_until : now;
  if (cfg->queue_bytes > 0 &&
      backlog_bytes(cfg, ls, now) + (double)len > (double)cfg->queue_bytes)
    return WEFT_TSTAMP_NONE;
  uint64_t bits = (uint64_t)len * 8u * 1000000000u;
  weft_tstamp tx = (bits + cfg->bandwidth_bps - 1) / cfg->bandwidth_bps;
  ls->busy_until = start + tx;
  return ls->busy_until;
}

static weft_tstamp arrival_time(const sim_link_dir *cfg, link_state *ls,
                                weft_tstamp depart) {
  weft_tstamp t = depart + cfg->delay + draw(&ls->pcg, cfg->jitter);
  if (chance(&ls->pcg, cfg->reorder)) {
    ls->c.reordered++;
    weft_tstamp extra = cfg->reorder_delay;
    if (extra == 0)
      extra = WEFT_MILLISECONDS + cfg->jitter;
    return t + extra; /* exempt from FIFO: later packets may overtake */
  }
  if (t < ls->last_arrival)
    t = ls->last_arrival;
  ls->last_arrival = t;
  return t;
}

void sim_link_send(sim_iface *iface, int dir, sim_pkt *p) {
  sim_net *net = iface->net;
  const sim_link_dir *cfg = dir == SIM_UP ? &iface->cfg.up : &iface->cfg.down;
  link_state *ls = &iface->dir[dir];
  ls->c.sent++;
  if (cfg->mtu > 0 && p->len > cfg->mtu) {
    ls->c.dropped_mtu++;
    drop(net, SIM_TRACE_DROP_MTU, iface, p);
    return;
  }
  weft_tstamp depart = serialize(cfg, ls, net->now, p->len);
  if (depart == WEFT_TSTAMP_NONE) {
    ls->c.dropped_queue++;
    drop(net, SIM_TRACE_DROP_QUEUE, iface, p);
    return;
  }
  if (lost(cfg, ls)) {
    ls->c.dropped_loss++;
    drop(net, SIM_TRACE_DROP_LOSS, iface, p);
    return;
  }
  weft_tstamp at = arrival_time(cfg, ls, depart);
  sim_pkt *dup = NULL;
  if (chance(&ls->pcg, cfg->duplicate)) {
    dup = sim_pkt_clone(net, p);
    if (dup == NULL)
      net->c.dropped_no_buffer++;
  }
  sim_schedule(net, p, iface, dir, at);
  if (dup != NULL) {
    ls->c.duplicated++;
    sim_emit(net, SIM_TRACE_DUPLICATE, iface->node->name, dup);
    sim_schedule(net, dup, iface, dir, arrival_time(cfg, ls, depart));
  }
}
