// Written by `cruddur-obs init`: the home feed, read from the backend. Each load is one trace,
// from the browser's fetch to the backend's span.
import React from 'react';

export default function App() {
  const [activities, setActivities] = React.useState([]);
  const [error, setError] = React.useState(null);

  React.useEffect(() => {
    const url = `${process.env.REACT_APP_BACKEND_URL}/api/activities/home`;
    fetch(url)
      .then((res) => {
        if (!res.ok) throw new Error(`${url} answered ${res.status}`);
        return res.json();
      })
      .then(setActivities)
      .catch((err) => setError(String(err)));
  }, []);

  return (
    <main>
      <h1>Home</h1>
      {error && <p role="alert">{error}</p>}
      {activities.map((activity) => (
        <article key={activity.uuid}>
          <b>@{activity.handle}</b> {activity.message}
        </article>
      ))}
    </main>
  );
}
