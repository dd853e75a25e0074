import * as echarts from "echarts";
import { useEffect, useRef } from "react";

/** An echarts chart that follows its option and its container's size. */
export function Chart({
  option,
  height = 260,
  label,
  onClick,
}: {
  option: echarts.EChartsOption;
  height?: number;
  label: string;
  onClick?: (params: echarts.ECElementEvent) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  useEffect(() => {
    if (!box.current) return;
    const instance = echarts.init(box.current, undefined, { renderer: "canvas" });
    chart.current = instance;
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(box.current);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);
  useEffect(() => {
    const instance = chart.current;
    if (!instance || !onClick) return;
    instance.on("click", onClick);
    return () => {
      instance.off("click", onClick);
    };
  }, [onClick]);
  return <div className="chart" ref={box} style={{ height }} role="img" aria-label={label} />;
}
