export const dynamic = "force-dynamic";

export default async function Home() {
  const api = process.env.NEXT_PUBLIC_API_URL;
  return <main>Backend API: {api}</main>;
}
