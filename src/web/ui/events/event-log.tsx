// What happened in the fleet, newest first: logins, commands sent and finished, hosts coming and going.
import { clockTime } from '../format.js';
import { useApp, useObservable } from '../hooks.js';

export function EventLog() {
  const { events } = useApp();
  useObservable(events);
  return (
    <section class="events panel" aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      {events.events.length === 0 ? (
        <p class="empty">Nothing has happened yet.</p>
      ) : (
        <ol class="event-list">
          {events.events.map((event) => (
            <li key={event.id} class={`event level-${event.level}`}>
              <time dateTime={event.at} title={new Date(event.at).toLocaleString()}>
                {clockTime(event.at)}
              </time>
              {event.host_id && <span class="event-host">{event.host_id}</span>}
              <span class="event-message">{event.message}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
