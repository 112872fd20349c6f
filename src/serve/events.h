/*
 * events.h — GET /api/events: server-sent events to every viewer that
 * listens (a profile list that changed, a live profile that grew).
 *
 * Each listener is a queue of bytes and a connection that libmicrohttpd
 * suspends whenever its queue is empty (no thread waits and nothing
 * polls); publishing appends to every queue and resumes the suspended
 * connections. A heartbeat comment every SG_HUB_HEARTBEAT_S keeps proxies
 * from closing idle streams and makes a vanished client show up as a
 * failed write. A listener that falls SG_HUB_QUEUE_MAX bytes behind is
 * dropped rather than allowed to grow the server's memory.
 *
 * Thread safety: every function may be called from any thread.
 * Ownership: sg_hub_free after the daemon has stopped; sg_hub_close first
 * ends every stream so the daemon can stop.
 */
#ifndef SG_SERVE_EVENTS_H
#define SG_SERVE_EVENTS_H

#define SG_HUB_HEARTBEAT_S 15
#define SG_HUB_QUEUE_MAX   (1u << 20)

struct MHD_Connection;
struct MHD_Response;
typedef struct sg_hub sg_hub;

sg_hub *sg_hub_new(void);
void sg_hub_close(sg_hub *h);
void sg_hub_free(sg_hub *h);

/* Send "event: <event>\ndata: <data>\n\n" to every listener (data is one
 * line of JSON). */
void sg_hub_publish(sg_hub *h, const char *event, const char *data);

/* A response streaming the events to connection c (queue it at once). */
struct MHD_Response *sg_hub_subscribe(sg_hub *h, struct MHD_Connection *c);

/* Listeners connected now. */
int sg_hub_listeners(sg_hub *h);

#endif
